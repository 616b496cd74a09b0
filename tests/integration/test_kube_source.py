"""The Kubernetes source against the API stand-in: what it keeps of each object it lists."""

from __future__ import annotations

import sync_helpers as h
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.source.kubernetes import read_kubernetes

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def test_objects_are_kept_without_field_ownership_and_the_last_applied_copy(kube_standin_factory):
    kube = kube_standin_factory([h.VLAB])
    server = h.standin_object(kube, "Server", "server-01")
    server["metadata"]["managedFields"] = [{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1",
                                            "fieldsV1": {"f:spec": {"f:description": {}}}}]
    server["metadata"]["annotations"] = {LAST_APPLIED: '{"kind": "Server"}', "team": "network"}
    kube.store.put(server)

    data = read_kubernetes({"kubeconfig": str(kube.kubeconfig_path)}, fabric="vlab")

    listed = next(obj for obj in data.items("Server") if obj["metadata"]["name"] == "server-01")
    assert "managedFields" not in listed["metadata"]
    assert listed["metadata"]["annotations"] == {"team": "network"}
    assert listed["spec"] == server["spec"]
    assert data.count()["Server"] == len(h.fixture_objects("Server"))
