"""A scheduled AWX job of the bootstrapped template, run as AWX would run it, syncs into the real NetBox.

bootstrap.yml makes the credentials, template and schedules in the AWX API stand-in; the stand-in
records the job a schedule would start; the sync then runs with only what AWX would hand it: the
environment the job's two credentials inject (HEDGEHOG_* names, not NETBOX_* or K8S_AUTH_*) and the
survey's fabric. The fabric's source is the Kubernetes API stand-in, reached with a bearer token
and CA from the fabric's credential.
"""

from __future__ import annotations

from pathlib import Path

from awx_helpers import AwxBed, run_job

VLAB = Path(__file__).resolve().parents[1] / "fixtures" / "vlab"


def test_a_scheduled_job_syncs_its_fabric_with_its_own_credentials(fresh_netbox, kube_standin_factory, awx_standin,
                                                                   run_playbook, tmp_path):
    kube = kube_standin_factory([VLAB])
    fabrics = {"vlab": {"hedgehog_site": "VLAB", "hedgehog_sync_interval": 300, "hedgehog_awx_credential_inputs": {
        "host": kube.url, "api_key": kube.token, "ca_cert": Path(kube.ca_file).read_text()}}}
    awx = AwxBed(tmp_path, awx_standin, run_playbook)
    awx.bootstrap(fabrics, env={"NETBOX_API": fresh_netbox.url, "NETBOX_TOKEN": fresh_netbox.token_v2})
    schedule = awx.schedules()["hedgehog-sync-vlab"]
    job = awx_standin.add_job(schedule["id"], status="running")

    # What reaches the job: the survey's fabric and AWX's variables, the credentials' HEDGEHOG_* variables.
    runtime = awx_standin.job_runtime(job["id"], tmp_path / "peek")
    assert sorted(runtime["env"]) == ["HEDGEHOG_CREDENTIAL_FABRIC", "HEDGEHOG_K8S_API_KEY", "HEDGEHOG_K8S_CA_CERT",
                                      "HEDGEHOG_K8S_HOST", "HEDGEHOG_K8S_KUBECONFIG", "HEDGEHOG_NETBOX_TOKEN",
                                      "HEDGEHOG_NETBOX_URL"]
    assert {k: v for k, v in runtime["extra_vars"].items() if not k.startswith(("awx_", "tower_"))} == {
        "fabric": "vlab"}
    # The inventory holds no access of its own: everything comes from the credentials.
    run = run_job(awx_standin, job["id"], tmp_path, {"vlab": {"hedgehog_site": "VLAB"}})

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "vlab: success" in run.stdout
    (cluster,) = fresh_netbox.api.virtualization.clusters.filter(name="vlab")
    assert cluster.custom_fields["hedgehog_last_result"] == "success"
    assert cluster.custom_fields["hedgehog_source"] == "kubernetes:%s" % kube.url
    # The switches, the servers and the control node.
    assert len(fresh_netbox.api.dcim.devices.filter(cf_hedgehog_fabric="vlab")) == 12
    for secret in (fresh_netbox.token_v2, kube.token):
        assert secret not in run.stdout and secret not in run.stderr
