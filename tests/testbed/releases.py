"""Hedgehog releases as their control node's Kubernetes API serves them.

For each release: the software it ships (githedgehog/docs ``docs/release-notes/index.md``) and
the API groups, versions and kinds its CRDs serve (githedgehog/fabric and githedgehog/fabricator
``config/crd/bases`` at the release's tags). ``served_api(name)`` turns one into the stand-in's
``ServedApi`` and ``server_version(name)`` into its ``/version`` answer, so a stand-in started for
a release discovers exactly what that release's cluster discovers.

Facts, by the tags they were read at:
- Every fabric CRD served ``v1alpha2`` up to fabric v0.51 and ``v1beta1`` from v0.52 (Beta-1),
  one version each, no conversion. The last Alpha hhfab (v0.19.2) pins fabric v0.43.0, k3s
  v1.30.0 and SONiC 4.2.0; it installed no Fabricator CRD, and the agent group had ``ControlAgent``.
- ``fabricator.githedgehog.com/v1beta1`` (Fabricator, ControlNode) from hhfab v0.30 (Beta-1);
  ``FabNode`` from hhfab v0.36 (25.01).
- ``gateway.githedgehog.com`` and ``gwint.githedgehog.com`` (v1alpha1) are part of the fabric
  from v0.113 (26.01). In 25.05 the experimental gateway came from its own repository and was
  installed only when enabled (fabricator v0.43.1 ``pkg/fab/comp/gateway``): kinds Gateway,
  Peering and VPCInfo at v1alpha1 (profile ``25.05+gateway``).
"""

from __future__ import annotations

from dataclasses import dataclass

from testbed.kube_api import (
    AGENT_GROUP,
    DHCP_GROUP,
    FABRICATOR_GROUP,
    GATEWAY_GROUP,
    GWINT_GROUP,
    VPC_GROUP,
    WIRING_GROUP,
    ServedApi,
)

HEDGEHOG_GROUPS = (WIRING_GROUP, VPC_GROUP, AGENT_GROUP, DHCP_GROUP, FABRICATOR_GROUP, GATEWAY_GROUP, GWINT_GROUP)


@dataclass(frozen=True)
class Release:
    """One release: its software versions and the API its CRDs serve."""

    name: str
    date: str
    fabric: str
    fabricator: str
    kubernetes: str  # the k3s gitVersion its control node runs
    sonic: str
    groups: tuple  # ((group, (versions...)), ...); a group not listed is not installed
    kinds: tuple = ()  # ((kind, (versions...)), ...): CRDs that differ from their group

    def served_api(self) -> ServedApi:
        groups = dict.fromkeys(HEDGEHOG_GROUPS, ())
        groups.update(dict(self.groups))
        return ServedApi(groups=groups, kinds=dict(self.kinds))

    def server_version(self) -> dict:
        major, minor = self.kubernetes.lstrip("v").split(".")[:2]
        return {
            "major": major,
            "minor": minor,
            "gitVersion": self.kubernetes,
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": f"{self.date}T00:00:00Z",
            "goVersion": "go1.24.6",
            "compiler": "gc",
            "platform": "linux/amd64",
        }


def _all(version, *groups):
    return tuple((group, (version,)) for group in groups)


_ALPHA = _all("v1alpha2", WIRING_GROUP, VPC_GROUP, AGENT_GROUP, DHCP_GROUP)
_BETA = _all("v1beta1", WIRING_GROUP, VPC_GROUP, AGENT_GROUP, DHCP_GROUP, FABRICATOR_GROUP)
_GATEWAY = _all("v1alpha1", GATEWAY_GROUP, GWINT_GROUP)
_NO_FABNODE = (("FabNode", ()),)

RELEASES = {
    r.name: r
    for r in (
        Release("pre-beta-1", "2024-08-27", "v0.43.0", "v0.19.2", "v1.30.0+k3s1", "4.2.0", _ALPHA,
                (("ControlAgent.agent.githedgehog.com", ("v1alpha2",)),)),
        Release("24.09", "2024-12-17", "v0.58.0", "v0.32.1", "v1.31.1+k3s1", "4.4.0", _BETA, _NO_FABNODE),
        Release("25.01", "2025-04-07", "v0.71.6", "v0.36.1", "v1.32.1+k3s1", "4.4.2", _BETA),
        Release("25.02", "2025-05-15", "v0.75.3", "v0.38.1", "v1.32.4+k3s1", "4.4.2", _BETA),
        Release("25.03", "2025-07-01", "v0.81.1", "v0.40.0", "v1.32.4+k3s1", "4.5.0", _BETA),
        Release("25.04", "2025-07-31", "v0.87.4", "v0.41.3", "v1.33.2+k3s1", "4.5.0", _BETA),
        Release("25.05", "2025-11-20", "v0.96.2", "v0.43.1", "v1.34.1+k3s1", "4.5.0", _BETA),
        Release("25.05+gateway", "2025-11-20", "v0.96.2", "v0.43.1", "v1.34.1+k3s1", "4.5.0",
                _BETA + _all("v1alpha1", GATEWAY_GROUP),
                (("GatewayGroup", ()), ("GatewayPeering", ()), ("Peering.gateway.githedgehog.com", ("v1alpha1",)))),
        Release("26.01", "2026-04-02", "v0.115.4", "v0.45.5", "v1.35.2+k3s1", "4.5.0", _BETA + _GATEWAY),
        Release("26.02", "2026-05-08", "v0.120.3", "v0.47.4", "v1.35.2+k3s1", "4.5.0", _BETA + _GATEWAY),
        Release("26.03", "2026-08-18", "v0.129.4", "v0.49.3", "v1.36.3+k3s1", "4.5.2", _BETA + _GATEWAY),
    )
}


def release(name: str) -> Release:
    try:
        return RELEASES[name]
    except KeyError:
        raise ValueError(f"unknown release {name!r}; known: {', '.join(RELEASES)}") from None


def served_api(name: str) -> ServedApi:
    return release(name).served_api()


def server_version(name: str) -> dict:
    return release(name).server_version()
