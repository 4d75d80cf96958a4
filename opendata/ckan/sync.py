"""Pushing one dataset to CKAN (create/update + resources) and removing it."""

from __future__ import annotations

from dataclasses import dataclass, field

from opendata.ckan import mapping
from opendata.ckan.client import Ckan, CkanError, is_not_found
from opendata.models import Dataset, file_storage


@dataclass
class PushPlan:
    package: dict
    resources: list[tuple]  # (Resource, ResourceVersion | None, payload dict)
    fingerprint: str


@dataclass
class PushResult:
    sent: bool
    ckan_id: str = ""
    actions: list[str] = field(default_factory=list)


def plan(dataset: Dataset, *, organization: str) -> PushPlan:
    package = mapping.package_dict(dataset, organization=organization)
    resources = []
    for resource in dataset.resources.prefetch_related("versions").order_by("sort_order", "pk"):
        version = resource.latest_version()
        payload = mapping.resource_dict(resource, version)
        payload["ayni_hash"] = mapping.resource_fingerprint(payload)
        resources.append((resource, version, payload))
    fingerprint = mapping.dataset_fingerprint(package, [payload for _r, _v, payload in resources])
    return PushPlan(package=package, resources=resources, fingerprint=fingerprint)


def push(ckan: Ckan, dataset: Dataset, push_plan: PushPlan) -> PushResult:
    """Create or update the package and its resources so CKAN matches the portal."""
    from opendata.services import resource_version_export

    result = PushResult(sent=True)
    try:
        existing = ckan.package_show(id=push_plan.package["name"])
    except CkanError as exc:
        if not is_not_found(exc):
            raise
        existing = None
    if existing is None:
        package = ckan.package_create(**push_plan.package)
        result.actions.append("package_create")
    else:
        package = ckan.package_patch(id=existing["id"], state="active", **push_plan.package)
        result.actions.append("package_patch")
    result.ckan_id = package["id"]

    remote = {item.get("ayni_resource"): item for item in package.get("resources", []) if item.get("ayni_resource")}
    for resource, version, payload in push_plan.resources:
        current = remote.pop(payload["ayni_resource"], None)
        if current is not None and current.get("ayni_hash") == payload["ayni_hash"]:
            continue
        files = None
        if version is not None:
            path = resource_version_export(version=version, fmt="csv")
            handle = file_storage().open(path, "rb")
            handle.name = f"{resource.slug}.csv"
            files = {"upload": handle}
        try:
            if current is None:
                ckan.resource_create(files=files, package_id=package["id"], **payload)
                result.actions.append(f"resource_create:{resource.slug}")
            else:
                ckan.resource_update(files=files, id=current["id"], package_id=package["id"], **payload)
                result.actions.append(f"resource_update:{resource.slug}")
        finally:
            if files:
                files["upload"].close()
    for leftover in remote.values():
        ckan.resource_delete(id=leftover["id"])
        result.actions.append("resource_delete")
    return result


def delete(ckan: Ckan, name: str) -> PushResult:
    try:
        ckan.package_delete(id=name)
    except CkanError as exc:
        if is_not_found(exc):
            return PushResult(sent=False, actions=["already_absent"])
        raise
    return PushResult(sent=True, actions=["package_delete"])
