# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fabric's anchor in NetBox: a Cluster of type "Hedgehog Fabric" in the fabric's site.

It is both a desired object of the fabric (every device is in it) and the
home of the fabric's record, which is made before the first sync so a run
can take its lease there. Both build it from these definitions, with the
references in their own form (desired-state refs, or NetBox ids).
"""

from __future__ import annotations

CLUSTERS = "virtualization/clusters"
CLUSTER_TYPES = "virtualization/cluster-types"
CLUSTER_TYPE_SLUG = "hedgehog-fabric"
CLUSTER_TYPE_NAME = "Hedgehog Fabric"
CLUSTER_OBJECT_TYPE = "virtualization.cluster"


def cluster_type_fields():
    return {"name": CLUSTER_TYPE_NAME, "slug": CLUSTER_TYPE_SLUG}


def cluster_fields(fabric, cluster_type, site):
    """The anchor Cluster; ``cluster_type`` and ``site`` as the caller refers to objects."""
    return {"name": fabric, "type": cluster_type, "scope_type": "dcim.site", "scope_id": site, "status": "active"}
