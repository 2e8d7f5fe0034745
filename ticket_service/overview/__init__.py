"""The district overview's ticket figures: each station's backlog with its place, and the year by month."""
