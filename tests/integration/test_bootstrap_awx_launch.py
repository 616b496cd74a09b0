"""What may reach a sync launched from AWX: only the fabric, and only that fabric's credential.

The first half checks that the AWX API stand-in treats launches and schedules (saved launch
configurations) as AWX 24.6.1 does (awx/main/models/mixins.py _accept_or_ignore_variables,
awx/api/serializers.py JobLaunchSerializer and LaunchConfigurationBaseSerializer): a launch drops
what the template does not prompt for and reports it in ``ignored_fields``; a schedule is refused
it. The second half bootstraps the template and then launches it, and runs playbooks/sync.yml with
what AWX would hand the job, to see the sync refuse a credential that is not the fabric's own.
"""

from __future__ import annotations

import json

import pytest
from awx_helpers import FABRICS, Api, AwxBed, run_job

from testbed.awx_standin import AwxStandin
from testbed.fixtures_awx import playbook_runner

SURVEY = {"name": "Fabric", "description": "", "spec": [
    {"question_name": "Fabric", "variable": "fabric", "type": "multiplechoice", "choices": ["fab-a", "fab-b"],
     "required": True}]}
NOT_ALLOWED = ("Variables %s are not allowed on launch. Check the Prompt on Launch setting on the Job Template to "
               "include Extra Variables.")
ATTACKS = {"netbox_url": "http://elsewhere/", "hedgehog_k8s_host": "http://plain.example:80",
           "ansible_python_interpreter": "/tmp/evil"}


# ---------------------------------------------------------------------------
# The stand-in answers as AWX does
# ---------------------------------------------------------------------------


@pytest.fixture
def api(awx_standin):
    return Api(awx_standin)


def _surveyed_template(api, **fields):
    project = api.make("/api/v2/projects/", {
        "name": "p", "organization": 1, "scm_type": "git", "scm_url": "https://example.com/x.git"})
    inventory = api.make("/api/v2/inventories/", {"name": "i", "organization": 1})
    template = api.make("/api/v2/job_templates/", dict({
        "name": "jt", "project": project["id"], "inventory": inventory["id"], "playbook": "playbooks/sync.yml",
        "survey_enabled": True}, **fields))
    assert api("POST", template["related"]["survey_spec"], SURVEY) == (200, None)
    return template


def _cloud_credential(api, type_name, **inputs):
    ctype = api("GET", "/api/v2/credential_types/", name=type_name)[1]["results"]
    if not ctype:
        ctype = [api.make("/api/v2/credential_types/", {
            "name": type_name, "kind": "cloud",
            "inputs": {"fields": [{"id": "fabric", "label": "Fabric"}, {"id": "host", "label": "Host"}],
                       "required": ["fabric"]},
            "injectors": {"env": {"HEDGEHOG_CREDENTIAL_FABRIC": "{{ fabric }}", "HEDGEHOG_K8S_HOST": "{{ host }}"}}})]
    return api.make("/api/v2/credentials/", {"name": "c-%s" % "-".join(map(str, inputs.values())) or "empty",
                                             "organization": 1, "credential_type": ctype[0]["id"], "inputs": inputs})


@pytest.mark.parametrize("spec, error", [
    ({"description": "", "spec": []}, "Field 'name' is missing from survey spec."),
    ({"name": "s", "description": "", "spec": []}, "'spec' doesn't contain any items."),
    ({"name": "s", "description": "", "spec": [{"type": "text", "variable": "a", "required": True}]},
     "'question_name' missing from survey question 0"),
    ({"name": "s", "description": "", "spec": [{"type": "multiplechoice", "question_name": "q", "variable": "a",
                                                "required": True}]},
     "Survey question 0 of type multiplechoice must specify choices."),
    ({"name": "s", "description": "", "spec": [
        {"type": "text", "question_name": "q", "variable": "a", "required": True},
        {"type": "text", "question_name": "r", "variable": "a", "required": False}]},
     "'variable' 'a' duplicated in survey question 1."),
])
def test_survey_specs_are_validated_like_awx(api, spec, error):
    template = _surveyed_template(api)
    assert api("POST", template["related"]["survey_spec"], spec) == (400, {"error": error})
    assert api("GET", template["related"]["survey_spec"]) == (200, SURVEY)


def test_a_launch_keeps_the_survey_answer_and_drops_every_other_variable(api):
    template = _surveyed_template(api)

    status, launched = api("POST", template["related"]["launch"],
                           {"extra_vars": dict(ATTACKS, fabric="fab-a"), "limit": "fab-b"})

    assert status == 201
    assert launched["ignored_fields"] == {"extra_vars": ATTACKS, "limit": "fab-b"}
    assert json.loads(api.standin.objects("jobs", id=launched["job"])[0]["extra_vars"]) == {"fabric": "fab-a"}


@pytest.mark.parametrize("extra_vars, error", [
    ({"fabric": "fab-x"}, "Value fab-x for 'fabric' expected to be one of ['fab-a', 'fab-b']."),
    ({"fabric": "fab-a\n"}, "Value fab-a\n for 'fabric' expected to be one of ['fab-a', 'fab-b']."),
    ({"netbox_url": "http://elsewhere/"}, "'fabric' value missing"),
])
def test_a_launch_with_a_bad_survey_answer_is_refused(api, extra_vars, error):
    template = _surveyed_template(api)

    assert api("POST", template["related"]["launch"], {"extra_vars": extra_vars}) == (
        400, {"variables_needed_to_start": [error]})
    assert api.standin.objects("jobs") == []


def test_a_schedule_answers_the_survey_and_may_carry_nothing_else(api):
    template = _surveyed_template(api)
    body = {"name": "s", "unified_job_template": template["id"],
            "rrule": "DTSTART:20240101T000000Z RRULE:FREQ=MINUTELY;INTERVAL=5"}

    assert api.make("/api/v2/schedules/", dict(body, extra_data={"fabric": "fab-a"}))["extra_data"] == {
        "fabric": "fab-a"}
    assert api("POST", "/api/v2/schedules/", dict(body, name="t", extra_data=dict(ATTACKS, fabric="fab-a"))) == (
        400, {"extra_data": [NOT_ALLOWED % ", ".join(ATTACKS)]})
    assert api("POST", "/api/v2/schedules/", dict(body, name="u", extra_data={"fabric": "fab-z"})) == (
        400, {"variables_needed_to_start": ["Value fab-z for 'fabric' expected to be one of ['fab-a', 'fab-b']."]})
    assert api("POST", "/api/v2/schedules/", dict(body, name="v")) == (
        400, {"variables_needed_to_start": ["'fabric' value missing"]})
    assert api("POST", "/api/v2/schedules/", dict(body, name="w", extra_data={"fabric": "fab-a"}, limit="x")) == (
        400, {"limit": ["Field is not configured to prompt on launch."]})


def test_launch_time_credentials_are_dropped_unless_asked_for_and_replace_one_per_type(api):
    template = _surveyed_template(api)
    first, second = _cloud_credential(api, "Fabric", fabric="fab-a"), _cloud_credential(api, "Fabric", fabric="fab-b")

    status, launched = api("POST", template["related"]["launch"],
                           {"extra_vars": {"fabric": "fab-a"}, "credentials": [first["id"]]})
    assert status == 201 and launched["ignored_fields"] == {"credentials": [first["id"]]}
    assert api("GET", "/api/v2/jobs/%d/credentials/" % launched["job"])[1]["count"] == 0

    api("PATCH", template["url"], {"ask_credential_on_launch": True})
    assert api("POST", template["url"] + "credentials/", {"id": first["id"]}) == (204, None)
    status, launched = api("POST", template["related"]["launch"],
                           {"extra_vars": {"fabric": "fab-b"}, "credentials": [second["id"]]})
    assert status == 201 and launched["ignored_fields"] == {}
    job_credentials = api("GET", "/api/v2/jobs/%d/credentials/" % launched["job"])[1]["results"]
    assert [c["id"] for c in job_credentials] == [second["id"]]
    assert api("POST", template["related"]["launch"], {"extra_vars": {"fabric": "fab-b"}, "credentials": []}) == (
        400, {"credentials": ["Removing Fabric credential at launch time without replacement is not supported. "
                              "Provided list lacked credential(s): %s." % first["name"]]})


def test_a_credential_without_a_required_field_fails_the_job_before_it_starts(api):
    template = _surveyed_template(api, ask_credential_on_launch=True)
    empty = _cloud_credential(api, "Fabric", host="https://k8s:6443")

    status, launched = api("POST", template["related"]["launch"],
                           {"extra_vars": {"fabric": "fab-a"}, "credentials": [empty["id"]]})

    assert status == 201
    job = api.standin.objects("jobs", id=launched["job"])[0]
    assert job["status"] == "failed"
    assert job["job_explanation"] == ("Job cannot start because Credential %s does not provide one or more required "
                                      "fields (fabric). Task failed pre-start check." % empty["name"])


def test_a_job_gets_what_its_credentials_inject_and_awx_variables_that_nothing_overrides(api, tmp_path):
    template = _surveyed_template(api, ask_credential_on_launch=True)
    credential = _cloud_credential(api, "Fabric", fabric="fab-a", host="https://k8s:6443")
    schedule = api.make("/api/v2/schedules/", {"name": "s", "unified_job_template": template["id"],
                                               "extra_data": {"fabric": "fab-a"},
                                               "rrule": "DTSTART:20240101T000000Z RRULE:FREQ=MINUTELY;INTERVAL=5"})
    assert api("POST", schedule["url"] + "credentials/", {"id": credential["id"]}) == (204, None)

    job = api.standin.add_job(schedule["id"], status="running")
    runtime = api.standin.job_runtime(job["id"], tmp_path)

    assert runtime["env"] == {"HEDGEHOG_CREDENTIAL_FABRIC": "fab-a", "HEDGEHOG_K8S_HOST": "https://k8s:6443"}
    assert runtime["extra_vars"]["fabric"] == "fab-a"
    assert (runtime["extra_vars"]["awx_job_id"], runtime["extra_vars"]["tower_job_id"]) == (job["id"], job["id"])
    assert runtime["extra_vars"]["awx_job_launch_type"] == "scheduled"
    assert runtime["extra_vars"]["awx_schedule_name"] == "s"


# ---------------------------------------------------------------------------
# The bootstrapped template, launched
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def awx(tmp_path_factory):
    """One stand-in with one bootstrap of FABRICS; each test adds its own jobs."""
    root = tmp_path_factory.mktemp("awx-launch")
    with AwxStandin(state_dir=root / "standin") as standin:
        bed = AwxBed(root, standin, playbook_runner())
        bed.bootstrap(FABRICS)
        bed.api = Api(standin)
        bed.template = bed.one("job_templates", name="hedgehog-netbox-sync")
        yield bed


def _launch(awx, **body):
    status, launched = awx.api("POST", awx.template["related"]["launch"], body)
    assert status == 201, launched
    return launched


def test_a_launch_of_the_template_runs_with_the_fabric_alone(awx):
    launched = _launch(awx, extra_vars=dict(ATTACKS, fabric="fab-a"))

    assert launched["ignored_fields"] == {"extra_vars": ATTACKS}
    assert json.loads(awx.one("jobs", id=launched["job"])["extra_vars"]) == {"fabric": "fab-a"}


def test_a_launch_for_a_fabric_outside_the_inventory_is_refused(awx):
    status, refused = awx.api("POST", awx.template["related"]["launch"], {"extra_vars": {"fabric": "all"}})

    assert status == 400
    assert refused == {"variables_needed_to_start": [
        "Value all for 'fabric' expected to be one of ['fab-a', 'fab-b', 'fab-c']."]}


def test_a_schedule_of_the_template_takes_its_fabric_and_nothing_else(awx):
    schedule = awx.schedules()["hedgehog-sync-fab-a"]

    assert schedule["extra_data"] == {"fabric": "fab-a"}
    changed = {"extra_data": {"fabric": "fab-a", "netbox_url": "http://elsewhere/"}}
    assert awx.api("PATCH", schedule["url"], changed) == (400, {"extra_data": [NOT_ALLOWED % "netbox_url"]})
    assert awx.schedules()["hedgehog-sync-fab-a"]["extra_data"] == {"fabric": "fab-a"}


def test_the_sync_refuses_a_job_that_carries_another_fabrics_credential(awx, tmp_path):
    fab_b = awx.one("credentials", name="hedgehog-fabric-fab-b")
    netbox = awx.template["summary_fields"]["credentials"][0]
    launched = _launch(awx, extra_vars={"fabric": "fab-a"}, credentials=[netbox["id"], fab_b["id"]])

    run = run_job(awx.standin, launched["job"], tmp_path, FABRICS)

    assert run.returncode == 2
    assert ("Fabric fab-a: the job carries the Hedgehog fabric credential of fabric fab-b; a fabric runs only with "
            "its own credential, whose Fabric field is fab-a.") in run.stdout
    assert "Sync the fabric into NetBox" not in run.stdout


def test_the_sync_refuses_kubernetes_or_netbox_settings_from_another_credential_type(awx, tmp_path):
    openshift = awx.one("credential_types", name="OpenShift or Kubernetes API Bearer Token")
    foreign = awx.api.make("/api/v2/credentials/", {
        "name": "someone's cluster", "organization": 1, "credential_type": openshift["id"],
        "inputs": {"host": "http://plain.example:80", "bearer_token": "theirs", "verify_ssl": False}})
    fab_b = awx.one("credentials", name="hedgehog-fabric-fab-b")
    netbox = awx.template["summary_fields"]["credentials"][0]
    launched = _launch(awx, extra_vars={"fabric": "fab-b"}, credentials=[netbox["id"], fab_b["id"], foreign["id"]])

    run = run_job(awx.standin, launched["job"], tmp_path, FABRICS)

    assert run.returncode == 2
    assert ("Fabric fab-b: the job's environment holds K8S_AUTH_API_KEY, K8S_AUTH_HOST, K8S_AUTH_VERIFY_SSL, set "
            'by a credential that is not of the types "NetBox" or "Hedgehog fabric"') in run.stdout + run.stderr
    assert "Sync the fabric into NetBox" not in run.stdout


def _unchanging(schedules):
    return {name: {k: v for k, v in s.items() if k not in ("next_run", "dtstart", "summary_fields")}
            for name, s in schedules.items()}


def test_bootstrap_refuses_to_give_a_fabric_another_fabrics_credential(tmp_path, awx_standin, run_playbook):
    awx = AwxBed(tmp_path, awx_standin, run_playbook)
    awx.bootstrap(FABRICS)
    before = awx.schedules()

    fabrics = dict(FABRICS, **{"fab-a": dict(FABRICS["fab-a"], hedgehog_awx_credential="hedgehog-fabric-fab-b")})
    run = awx.bootstrap(fabrics, check=False)

    assert run.returncode == 2
    assert ("Fabric fab-a: credential hedgehog-fabric-fab-b belongs to fabric fab-b, not to fab-a; set its Fabric "
            "field, or give the fabric its own credential") in run.stdout
    # next_run moves on with the clock; what bootstrap would change is the rest.
    assert _unchanging(awx.schedules()) == _unchanging(before)
    assert awx.standin.store.association("schedules", before["hedgehog-sync-fab-a"]["id"], "credentials") == []


def test_bootstrap_refuses_credential_inputs_that_name_another_fabric(tmp_path, awx_standin, run_playbook):
    awx = AwxBed(tmp_path, awx_standin, run_playbook)
    inputs = dict(FABRICS["fab-b"]["hedgehog_awx_credential_inputs"], fabric="fab-a")

    run = awx.bootstrap(dict(FABRICS, **{"fab-b": dict(FABRICS["fab-b"], hedgehog_awx_credential_inputs=inputs)}),
                        check=False)

    assert run.returncode == 2
    assert "Fabric fab-b: hedgehog_awx_credential_inputs names fabric fab-a" in run.stdout
    assert awx.standin.objects("credentials") == []


def test_bootstrap_refuses_a_project_that_follows_no_pinned_revision(tmp_path, awx_standin, run_playbook):
    awx = AwxBed(tmp_path, awx_standin, run_playbook)

    unpinned = awx.bootstrap(FABRICS, check=False, extra_vars={"schedule_awx_project_scm_branch": ""})
    missing = awx.bootstrap(FABRICS, check=False, extra_vars={"schedule_awx_project_scm_url": ""})

    assert unpinned.returncode == 2
    assert ("Pin the project: name the commit, tag or branch of https://git.example.com/netops/fabrics.git that the "
            "jobs run with schedule_awx_project_scm_branch.") in unpinned.stdout
    assert missing.returncode == 2
    assert "Project Hedgehog NetBox sync does not exist in organization Default" in missing.stdout
    assert awx.standin.objects("projects") == [] and awx.standin.objects("job_templates") == []


def test_the_project_updates_on_launch_only_when_asked(tmp_path, awx_standin, run_playbook):
    awx = AwxBed(tmp_path, awx_standin, run_playbook)

    awx.bootstrap(FABRICS, extra_vars={"schedule_awx_project_update_on_launch": True})

    assert awx.one("projects", name="Hedgehog NetBox sync")["scm_update_on_launch"] is True
    assert awx.one("inventory_sources", name="Hedgehog fabrics from the project")["update_on_launch"] is True
    assert awx.bootstrap(FABRICS, extra_vars={"schedule_awx_project_update_on_launch": True}).changed() == 0
