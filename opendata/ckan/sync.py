"""Pushing one dataset to CKAN (create/update + resources) and removing it.

``plan`` reads the database (call it in the thread that owns the connection);
``push`` and ``delete`` only talk HTTP and read files, so a sync runs them in
worker threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opendata import exports
from opendata.ckan import mapping
from opendata.ckan.client import Ckan, CkanError, is_name_error, is_not_found
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
        if version is not None:
            version.resource = resource  # the export (in a sending thread) needs no query
        payload = mapping.resource_dict(resource, version)
        payload["ayni_hash"] = mapping.resource_fingerprint(payload)
        resources.append((resource, version, payload))
    fingerprint = mapping.dataset_fingerprint(package, [payload for _r, _v, payload in resources])
    return PushPlan(package=package, resources=resources, fingerprint=fingerprint)


def _upsert_package(ckan: Ckan, push_plan: PushPlan, *, ckan_id: str, result: PushResult) -> dict:
    """The package, created or updated, in as few round trips as the portal's knowledge allows.

    Known id (a previous push succeeded): ``package_patch`` straight away.
    Otherwise ``package_create``; only if CKAN refuses the name (the package
    exists, e.g. the portal's database was restored) ``package_show`` finds it.
    """
    fields = push_plan.package
    if ckan_id:
        try:
            package = ckan.package_patch(id=ckan_id, state="active", **fields)
        except CkanError as exc:
            if not (is_not_found(exc) or is_name_error(exc)):
                raise  # gone from CKAN (purged) or the name is another package's: look it up below
        else:
            result.actions.append("package_patch")
            return package
    try:
        package = ckan.package_create(**fields)
    except CkanError as exc:
        if not is_name_error(exc):
            raise
        try:
            existing = ckan.package_show(id=fields["name"])
        except CkanError as show_error:
            if is_not_found(show_error):
                raise exc from None  # the name itself is invalid: CKAN's message says why
            raise
        package = ckan.package_patch(id=existing["id"], state="active", **fields)
        result.actions.append("package_patch")
        return package
    result.actions.append("package_create")
    return package


def push(ckan: Ckan, push_plan: PushPlan, *, ckan_id: str = "") -> PushResult:
    """Create or update the package and its resources so CKAN matches the portal (HTTP and files only)."""
    result = PushResult(sent=True)
    package = _upsert_package(ckan, push_plan, ckan_id=ckan_id, result=result)
    result.ckan_id = package["id"]

    remote = {item.get("ayni_resource"): item for item in package.get("resources", []) if item.get("ayni_resource")}
    for resource, version, payload in push_plan.resources:
        current = remote.pop(payload["ayni_resource"], None)
        if current is not None and current.get("ayni_hash") == payload["ayni_hash"]:
            continue
        files = None
        if version is not None:
            path = exports.version_export(version=version, fmt="csv")
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
