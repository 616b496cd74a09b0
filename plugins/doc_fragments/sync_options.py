# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  fabric:
    description:
      - Name of the fabric. Every object the sync makes carries it in the custom field C(hedgehog_fabric);
        several fabrics share one NetBox without touching each other's objects.
      - Letters, digits, C(.), C(_) and C(-), starting with a letter or a digit, at most 63 characters
        (file names and schedules are built from it); anything else is refused.
    type: str
    required: true
  site:
    description:
      - NetBox site the fabric's devices live in; created when missing. Defaults to the fabric's name.
    type: str
  tenant:
    description:
      - NetBox tenant for the fabric's devices; created when missing. Two fabrics in one site whose switches
        share names need a tenant each, since NetBox device names are unique per site and tenant.
    type: str
  source_fabric:
    description:
      - On a control node that runs several Hedgehog fabrics (a C(Fabric) object per fabric, and
        C(spec.topology.fabric) on switches, connections, VPCs, externals, gateways and their attachments and
        peerings), the Hedgehog fabric this NetBox fabric is. Objects that name no fabric belong to V(default).
      - Unset, every object of the source belongs to this NetBox fabric, as on a control node with one fabric.
    type: str
  underlay_vrf:
    description:
      - Where the fabric's underlay addresses live (switch and gateway management, protocol and VTEP IPs,
        fabric, mesh and gateway link C(/31)s and their prefixes, management DHCP leases).
      - Unset, a VRF of the fabric's own, C(<fabric>/underlay), so fabrics built from the same address plan
        (hhfab gives every fabric the same one) never meet in NetBox.
      - V(global) puts them in NetBox's global table; any other value names a VRF that several fabrics share
        (created when missing, never changed or deleted by the sync). Addresses two fabrics share there
        are conflicts.
    type: str
  ipv4_namespace_vrf:
    description:
      - Where the container prefixes of the fabric's IPv4Namespaces live.
      - Unset, a VRF per namespace, C(<fabric>/ipv4ns/<namespace>), so two namespaces that reuse a subnet stay
        two objects and fabrics never meet.
      - V(global) puts them in NetBox's global table (namespaces of one fabric that share a subnet share one
        container); any other value names a shared VRF, as for O(underlay_vrf).
    type: str
  wiring_dir:
    description:
      - Read the fabric from a directory of wiring YAML files instead of its Kubernetes API
        (a fabric being planned, or the demo). When set, the Kubernetes options are ignored.
      - An C(hhfab) work directory (one with a C(fab.yaml)) is read as hhfab reads it, C(include/*.yaml) only;
        any other directory is read whole, hidden files left out.
      - Wiring as hhfab writes it carries no switch ASNs and addresses (it is not hydrated). Everything else
        lands, and the addresses land once the wiring or the live fabric has them. Partly hydrated wiring is
        refused, as hhfab refuses it, and nothing is written.
    type: path
  wiring_hydrate:
    description:
      - With O(wiring_dir) pointing at an unhydrated C(hhfab) work directory, give the switches, links and
        gateways the ASNs and addresses C(hhfab build) would assign by default, from the subnets and ASNs of
        its C(fab.yaml) (or hhfab's defaults), so the plan in NetBox shows them before the fabric exists.
      - They are hhfab's predictions, not facts; adding a switch to the wiring renumbers the ones after it.
    type: bool
    default: false
  switch_profiles_dir:
    description:
      - A directory of YAML files with C(SwitchProfile) objects (one or many per file) for switches whose profile the
        source does not carry, such as a wiring directory's switches. A profile in the source wins over one in this
        directory, which wins over the built-in profiles (every profile the supported Hedgehog releases ship).
      - A profile that cannot be read or parsed is reported as a problem naming its file; the rest are used.
    type: path
  prune:
    description:
      - What happens to objects of the fabric that left the source.
      - V(delete) deletes them.
      - V(mark) sets them offline or deprecated, tags them C(hedgehog-orphan) and deletes them after O(orphan_grace).
      - V(keep) never deletes.
    type: str
    choices: [delete, mark, keep]
    default: delete
  orphan_grace:
    description:
      - Seconds a marked object stays before it is deleted, with O(prune=mark).
    type: int
    default: 604800
  max_delete_ratio:
    description:
      - Refuse to run (and write nothing) when more than this share of the fabric's objects would be deleted
        or marked. O(force=true) overrides.
    type: float
    default: 0.3
  force:
    description:
      - Override the O(max_delete_ratio) guard and the empty-source guard. A failed or truncated read of the
        source still blocks every deletion.
    type: bool
    default: false
  adopt:
    description:
      - The NetBox kinds of which the sync takes over objects that match the fabric's objects by key but carry
        no fabric marker (a device C(leaf-01) made by hand), for example V([device, interface]). Without it such
        objects are reported as conflicts and left alone. V(true) takes over every kind.
      - Kinds - V(cluster), V(vlan_group), V(vrf), V(vlan), V(device), V(lag), V(interface), V(subinterface),
        V(prefix), V(ip_range), V(ip_address), V(cable).
      - Objects owned by another fabric are never taken over. An adopted object is never deleted or marked when
        it leaves the fabric; the sync gives it back (its marker removed), as it found it.
    type: raw
  k8s_page_size:
    description:
      - Objects per Kubernetes list request (C(limit)); longer lists are paged with C(continue).
    type: int
    default: 500
  k8s_connect_timeout:
    description:
      - Seconds to wait for a connection to the Kubernetes API, per request.
    type: float
    default: 10.0
  k8s_read_timeout:
    description:
      - Seconds to wait for each answer of the Kubernetes API. A request that times out is retried like any
        transient fault; the whole run is bounded by O(run_timeout).
    type: float
    default: 60.0
  run_timeout:
    description:
      - Seconds a run may take. Past it the run stops at its next request, is recorded as V(failed) with the phase
        it was in, and releases its lease; what it wrote stays, and the next run writes the rest.
      - When not set, three quarters of O(sync_interval), so a run that hangs on a slow API ends before the next is
        due. V(0) means no deadline (a first sync of a very big fabric by hand, for example).
    type: int
  netbox_chunk_size:
    description:
      - Objects per bulk write request to NetBox.
    type: int
    default: 200
  netbox_workers:
    description:
      - Requests sent to NetBox at once, for the bulk writes and for the reads (each model's owned objects are
        requested together; the port and cable-end lists are split over this many requests). NetBox gains about
        1.5x from 2 to 4 on two cores; 1 sends one request at a time.
    type: int
    default: 3
  retries:
    description:
      - Retries of a request that failed transiently (connection error, timeout, HTTP 429, 502, 503, 504),
        with jittered exponential backoff. Other errors fail at once.
    type: int
    default: 5
  retry_delay:
    description:
      - First backoff ceiling in seconds; it doubles per retry.
    type: float
    default: 1.0
  retry_max_delay:
    description:
      - Largest backoff ceiling in seconds.
    type: float
    default: 30.0
  retry_max_time:
    description:
      - Seconds after which a request is not retried any more.
    type: float
    default: 120.0
  diff_limit:
    description:
      - Objects shown one by one in diff mode; past it, one summary line per kind and action.
    type: int
    default: 100
  agent_stale_after:
    description:
      - Seconds after a switch agent's last heartbeat (it reports every 15 seconds) when the switch is
        considered down. Its device then turns V(offline) and the custom field C(hedgehog_last_heartbeat) records
        when it was last heard from. While the agent reports, the device is V(active) and that field is empty,
        so a fabric whose agents keep reporting causes no writes.
    type: int
    default: 120
  dhcp_leases:
    description:
      - Also record the DHCP leases the fabric's DHCP server handed out (C(DHCPSubnet) status) as IP addresses
        with status V(dhcp), host name and client MAC. Leases come and go, so each sync may write some.
      - Static leases of a VPC subnet (C(dhcp.static)) are always recorded, with status V(reserved).
    type: bool
    default: false
  full:
    description:
      - Reconcile every object of the fabric now, whatever the fabric's record says (C(-e full=true) on
        C(playbooks/sync.yml)).
      - Without it, a run whose fabric, options and versions are unchanged since the last complete run, and in whose
        NetBox nobody else changed the fabric's objects since, reads nothing more and writes only its outcome; objects
        others changed are read and handled one by one (see O(hand_edits)); anything uncertain is reconciled in full,
        with the reason in the result.
    type: bool
    default: false
  full_resync_interval:
    description:
      - Seconds after which a run reconciles every object again even when nothing seems changed. V(0) reconciles
        in full on every run.
    type: int
    default: 86400
  hand_edits:
    description:
      - What happens to changes someone else made to the fabric's objects in NetBox (found in NetBox's change log).
      - V(repair) writes the fabric's values back.
      - V(keep) leaves the changed fields as they were set until the fabric itself changes them; an object deleted
        by hand is made again either way.
      - Either way the result, the journal entry and the record name the object, the fields, who and when.
    type: str
    choices: [repair, keep]
    default: repair
  max_pages:
    description:
      - Most pages one list read may take, from NetBox or from the Kubernetes API; a read that goes on past it
        fails with an error naming the endpoint (a server that keeps answering "next page" never exhausts the
        controller).
    type: int
    default: 10000
  max_response_mb:
    description:
      - Largest response (one NetBox or Kubernetes page) or wiring file, in MiB; a larger one fails with an error
        naming the endpoint or file.
    type: int
    default: 256
  max_list_items:
    description:
      - Most entries of any list or mapping inside one source object; an object with more is skipped as
        malformed, with a problem naming the field and the limit.
    type: int
    default: 10000
"""
