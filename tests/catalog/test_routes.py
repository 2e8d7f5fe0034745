"""The gateway's route table sends every public catalogue path to the catalogue."""

from __future__ import annotations

import pytest

from gateway.routes import service_for


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/subdistricts",
        "/api/v1/communities/x",
        "/api/v1/stations/nearby",
        "/api/v1/stations.csv",
        "/api/v1/staff.csv",
        "/api/v1/resources.csv",
        "/api/v1/departments",
        "/api/v1/service-categories",
        "/api/v1/service-items/x",
        "/api/v1/demands/x/close",
        "/api/v1/resource-requests/x/accept",
        "/api/v1/coverage/subdistricts/x",
        "/api/v1/coverage.csv",
        "/hsds",
        "/hsds/service_at_locations",
        "/wall/stations/x.json",
    ],
)
def test_catalogue_paths_route_to_the_catalogue(path):
    assert service_for(path) == "catalog"
