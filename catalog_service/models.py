"""Imports every domain's tables so Alembic sees them all."""

from catalog_service.demands.models import Demand
from catalog_service.departments.models import Department
from catalog_service.resource_requests.models import ResourceRequest
from catalog_service.resources.models import Resource, ResourceSubdistrict, ResourceWindow
from catalog_service.service_lists.models import OptionalItem
from catalog_service.staff.models import StaffMember
from catalog_service.stations.models import Community, Station, Subdistrict

__all__ = [
    "Community",
    "Demand",
    "Department",
    "OptionalItem",
    "Resource",
    "ResourceRequest",
    "ResourceSubdistrict",
    "ResourceWindow",
    "StaffMember",
    "Station",
    "Subdistrict",
]
