"""The district overview (`/overview`): stations on a map, the subdistricts ranked, the year by month."""
