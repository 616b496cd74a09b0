"""bootstrap.yml and schedule.yml with AWX, against the AWX API stand-in (no AWX can run here).

The first half checks that the stand-in answers as AWX 24.6.1 does where the playbooks depend on
it; the second half runs the playbooks with the unmodified awx.awx 24.6.1 modules.
"""

from __future__ import annotations

import datetime
import re
import time

import pytest
import requests
from awx_helpers import FABRICS, K8S_TOKEN, NETBOX_TOKEN, PROJECT, Api, AwxBed

from testbed.awx_standin import AwxStandin, awx_rrulestr
from testbed.fixtures_awx import playbook_runner

# ---------------------------------------------------------------------------
# The stand-in answers as AWX does
# ---------------------------------------------------------------------------


@pytest.fixture
def api(awx_standin):
    return Api(awx_standin)


def _template(api, **fields):
    project = api.make("/api/v2/projects/", {
        "name": "p", "organization": 1, "scm_type": "git", "scm_url": "https://example.com/x.git"})
    inventory = api.make("/api/v2/inventories/", {"name": "i", "organization": 1})
    body = dict({"name": "jt", "project": project["id"], "inventory": inventory["id"],
                 "playbook": "playbooks/sync.yml"}, **fields)
    return api.make("/api/v2/job_templates/", body)


def _cloud_type(api, name="NetBox", **fields):
    body = dict({"name": name, "kind": "cloud",
                 "inputs": {"fields": [{"id": "url", "label": "URL", "type": "string"},
                                       {"id": "token", "label": "Token", "type": "string", "secret": True}]},
                 "injectors": {"env": {"NETBOX_API": "{{ url }}", "NETBOX_TOKEN": "{{ token }}"}}}, **fields)
    return api.make("/api/v2/credential_types/", body)


def test_authentication_and_product_headers(awx_standin):
    public = requests.get(awx_standin.url + "/api/v2/ping/", timeout=10)
    assert public.status_code == 200 and public.json()["version"] == "24.6.1"
    assert public.headers["X-API-Product-Name"] == "AWX"
    assert public.headers["X-API-Product-Version"] == "24.6.1"
    assert requests.get(awx_standin.url + "/api/", timeout=10).json()["current_version"] == "/api/v2/"

    for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": "Basic YWRtaW46bm9wZQ=="}):
        denied = requests.get(awx_standin.url + "/api/v2/me/", headers=headers, timeout=10)
        assert denied.status_code == 401
        assert denied.headers["X-API-Product-Name"] == "AWX"
    assert Api(awx_standin)("GET", "/api/v2/me/")[1]["results"][0]["is_superuser"] is True
    basic = requests.get(awx_standin.url + "/api/v2/config/", auth=(awx_standin.username, awx_standin.password),
                         timeout=10)
    assert basic.status_code == 200 and basic.json()["version"] == "24.6.1"


def test_lists_filter_order_and_page_as_awx_does(api):
    for n in range(30):
        api.make("/api/v2/organizations/", {"name": "org-%02d" % n})

    status, page = api("GET", "/api/v2/organizations/", name__startswith="org-", page_size=10, order_by="-name")
    assert status == 200 and page["count"] == 30
    assert [r["name"] for r in page["results"]][:2] == ["org-29", "org-28"]
    assert page["previous"] is None
    assert page["next"].startswith("/api/v2/organizations/?") and "page=2" in page["next"]
    assert "name__startswith=org-" in page["next"] and "page_size=10" in page["next"]
    last = api("GET", page["next"].replace("page=2", "page=3"))[1]
    assert last["next"] is None and len(last["results"]) == 10

    # The lookups the modules make: name, or__id/or__name, a foreign key and its fields.
    assert api("GET", "/api/v2/organizations/", name="org-07")[1]["count"] == 1
    assert api("GET", "/api/v2/organizations/", or__id="1", or__name="org-03")[1]["count"] == 2
    empty = {"count": 0, "next": None, "previous": None, "results": []}
    assert api("GET", "/api/v2/organizations/", name="nope")[1] == empty
    inventory = api.make("/api/v2/inventories/", {"name": "inv", "organization": 5})
    assert api("GET", "/api/v2/inventories/", organization__name="org-03")[1]["results"][0]["id"] == inventory["id"]
    assert api("GET", "/api/v2/inventories/", bogus_field="1")[0] == 400
    assert api("GET", "/api/v2/organizations/", page="9")[0] == 404


def test_objects_carry_id_url_related_and_summary_fields(api):
    template = _template(api, ask_variables_on_launch=True)

    for key in ("id", "type", "url", "related", "summary_fields", "created", "modified"):
        assert key in template
    assert template["type"] == "job_template" and template["url"] == "/api/v2/job_templates/%d/" % template["id"]
    assert template["related"]["credentials"] == template["url"] + "credentials/"
    assert template["summary_fields"]["project"]["name"] == "p"
    assert template["organization"] == 1
    # What was posted is what comes back, so the modules see no difference on the next run.
    status, again = api("GET", template["url"])
    assert status == 200 and again["ask_variables_on_launch"] is True and again["playbook"] == "playbooks/sync.yml"
    status, patched = api("PATCH", template["url"], {"allow_simultaneous": True})
    assert status == 200 and patched["allow_simultaneous"] is True and patched["ask_variables_on_launch"] is True


def test_projects_templates_and_inventory_sources_share_the_template_ids(api):
    project = api.make("/api/v2/projects/", {
        "name": "same", "organization": 1, "scm_type": "git", "scm_url": "https://example.com/x.git"})
    assert project["summary_fields"]["current_update"]["status"] == "successful"
    assert project["scm_revision"]
    inventory = api.make("/api/v2/inventories/", {"name": "i", "organization": 1})
    template = api.make("/api/v2/job_templates/", {
        "name": "same", "project": project["id"], "inventory": inventory["id"], "playbook": "playbooks/sync.yml"})

    assert template["id"] == project["id"] + 1
    # A project and a template of one name make AWX's unified lookup ambiguous: the
    # schedule module would fail; the role's defaults give them different names.
    assert api("GET", "/api/v2/unified_job_templates/", name="same")[1]["count"] == 2


def test_a_template_needs_a_playbook_of_its_project_and_an_inventory(api):
    project = api.make("/api/v2/projects/", {
        "name": "p", "organization": 1, "scm_type": "git", "scm_url": "https://example.com/x.git"})
    inventory = api.make("/api/v2/inventories/", {"name": "i", "organization": 1})
    assert api("POST", "/api/v2/job_templates/", {"name": "a", "project": project["id"], "inventory": inventory["id"],
                                                  "playbook": "playbooks/nope.yml"}) == (
        400, {"playbook": ["Playbook not found for project."]})
    assert api("POST", "/api/v2/job_templates/", {"name": "a", "project": project["id"],
                                                  "playbook": "playbooks/sync.yml"}) == (
        400, {"inventory": ["Job Template must provide 'inventory' or allow prompting for it."]})
    assert api("POST", "/api/v2/job_templates/", {"name": "a", "project": 999, "playbook": "x"})[0] == 400


def test_credential_types_are_validated_like_awx(api):
    assert api("POST", "/api/v2/credential_types/", {"name": "x", "kind": "ssh"}) == (
        400, {"kind": ["Must be 'cloud' or 'net', not ssh"]})
    fields = {"fields": [{"id": "url", "label": "URL"}]}
    for injectors, message in (({"env": {"NETBOX_API": "{{ nope }}"}}, "uses an undefined field"),
                               ({"env": {"ANSIBLE_CONFIG": "{{ url }}"}}, "may affect Ansible configuration"),
                               ({"env": {"PATH": "{{ url }}"}}, "is not allowed to be used in credentials"),
                               ({"env": {"X": "{{ tower.filename }}"}}, "uses an undefined field"),
                               ({"file": {"template.a": "{{ url }}", "template": "x"}}, "multi-file syntax")):
        status, body = api("POST", "/api/v2/credential_types/", {"name": "x", "kind": "cloud", "inputs": fields,
                                                                 "injectors": injectors})
        assert status == 400 and message in str(body), (injectors, body)
    ok = {"file": {"template.cfg": "{{ url }}"}, "env": {"CFG": "{% if url %}{{ tower.filename.cfg }}{% endif %}"}}
    assert api("POST", "/api/v2/credential_types/", {"name": "x", "kind": "cloud", "inputs": fields,
                                                     "injectors": ok})[0] == 201


def test_secrets_are_shown_as_encrypted_and_kept_on_update(api):
    ctype = _cloud_type(api)
    credential = api.make("/api/v2/credentials/", {"name": "nb", "organization": 1, "credential_type": ctype["id"],
                                                   "inputs": {"url": "https://nb", "token": "s3cret"}})
    assert credential["inputs"] == {"url": "https://nb", "token": "$encrypted$"}
    assert credential["cloud"] is True

    status, patched = api("PATCH", credential["url"], {"inputs": {"url": "https://nb2", "token": "$encrypted$"}})
    assert status == 200 and patched["inputs"] == {"url": "https://nb2", "token": "$encrypted$"}
    stored = api.standin.store.get_record("credentials", credential["id"])
    assert stored["inputs"]["token"] == "s3cret"
    assert api("POST", "/api/v2/credentials/", {"name": "nb3", "organization": 1, "credential_type": ctype["id"],
                                                "inputs": {"token": "$encrypted$"}})[0] == 400
    assert api("POST", "/api/v2/credentials/", {"name": "nb4", "organization": 1, "credential_type": ctype["id"],
                                                "inputs": {"password": "x"}})[0] == 400
    assert api("DELETE", ctype["url"]) == (403, {"detail": "Credential types that are in use cannot be deleted"})


def test_a_template_takes_one_credential_per_type(api):
    ctype = _cloud_type(api)
    template = _template(api)
    first, second = (api.make("/api/v2/credentials/", {"name": n, "organization": 1, "credential_type": ctype["id"],
                                                       "inputs": {"url": "u"}}) for n in ("a", "b"))
    assert api("POST", template["url"] + "credentials/", {"id": first["id"]}) == (204, None)
    assert api("POST", template["url"] + "credentials/", {"id": second["id"]}) == (
        400, {"error": "Cannot assign multiple NetBox credentials."})
    assert api("GET", template["url"] + "credentials/")[1]["count"] == 1
    assert api("POST", template["url"] + "credentials/", {"id": first["id"], "disassociate": True}) == (204, None)
    assert api("GET", template["url"] + "credentials/")[1]["count"] == 0


def test_schedules_take_extra_data_only_when_the_template_prompts_for_variables(api):
    template = _template(api)
    body = {"name": "s", "unified_job_template": template["id"], "extra_data": {"fabric": "fab-a"},
            "rrule": "DTSTART:20240101T000000Z RRULE:FREQ=MINUTELY;INTERVAL=5"}
    status, refused = api("POST", "/api/v2/schedules/", body)
    assert status == 400
    assert refused["extra_data"][0].startswith("Variables fabric are not allowed on launch.")

    api("PATCH", template["url"], {"ask_variables_on_launch": True})
    schedule = api.make("/api/v2/schedules/", body)
    assert schedule["extra_data"] == {"fabric": "fab-a"}
    # A credential on the schedule needs the template to prompt for credentials.
    ctype = _cloud_type(api, name="Fabric")
    credential = api.make("/api/v2/credentials/", {"name": "c", "organization": 1, "credential_type": ctype["id"],
                                                   "inputs": {}})
    assert api("POST", schedule["url"] + "credentials/", {"id": credential["id"]}) == (
        400, {"msg": "Related template is not configured to accept credentials on launch."})
    api("PATCH", template["url"], {"ask_credential_on_launch": True})
    assert api("POST", schedule["url"] + "credentials/", {"id": credential["id"]}) == (204, None)
    # Deleting the template deletes its schedules.
    assert api("DELETE", template["url"]) == (204, None)
    assert api("GET", schedule["url"])[0] == 404


@pytest.mark.parametrize("rrule, message", [
    ("RRULE:FREQ=MINUTELY;INTERVAL=5", "Valid DTSTART required"),
    ("DTSTART:20240101T000000 RRULE:FREQ=MINUTELY;INTERVAL=5", "cannot be a naive datetime"),
    ("DTSTART:20240101T000000Z RRULE:FREQ=MINUTELY", "INTERVAL required"),
    ("DTSTART:20240101T000000Z RRULE:FREQ=SECONDLY;INTERVAL=30", "SECONDLY is not supported"),
    ("DTSTART:20240101T000000Z RRULE:FREQ=DAILY;INTERVAL=1;COUNT=1000", "COUNT > 999"),
    ("DTSTART:20240101T000000Z DTSTART:20240102T000000Z RRULE:FREQ=DAILY;INTERVAL=1", "Multiple DTSTART"),
])
def test_rrules_are_validated_like_awx(api, rrule, message):
    template = _template(api, ask_variables_on_launch=True)
    status, body = api("POST", "/api/v2/schedules/", {"name": "s", "unified_job_template": template["id"],
                                                      "rrule": rrule})
    assert status == 400 and any(message in line for line in body["rrule"]), body


# The stand-in's clock for the tests that compute next runs: a Monday in winter, mid-slot.
FIXED_NOW = datetime.datetime(2026, 11, 30, 12, 34, 56, tzinfo=datetime.timezone.utc)


def test_next_run_timezone_and_fast_forward(awx_standin_factory):
    api = Api(awx_standin_factory(clock=lambda: FIXED_NOW))
    template = _template(api, ask_variables_on_launch=True)
    utc = api.make("/api/v2/schedules/", {"name": "utc", "unified_job_template": template["id"],
                                          "rrule": "DTSTART:20240101T000300Z RRULE:FREQ=MINUTELY;INTERVAL=7"})
    new_york = api.make("/api/v2/schedules/", {
        "name": "ny", "unified_job_template": template["id"],
        "rrule": "DTSTART;TZID=America/New_York:20240101T090000 RRULE:FREQ=DAILY;INTERVAL=1"})

    assert (utc["timezone"], new_york["timezone"]) == ("UTC", "America/New_York")
    # AWX restarts a minutely rule older than a week from a week ago at DTSTART's time of day...
    assert utc["dtstart"] == "2026-11-23T00:03:00Z"
    # ...so the slots are 7 minutes from 00:03 a week ago: 1548 of them take it past 12:34:56 today.
    assert utc["next_run"] == "2026-11-30T12:39:00Z"
    # 09:00 in New York in November is 14:00 UTC (EST), still ahead today.
    assert new_york["next_run"] == "2026-11-30T14:00:00Z"


def test_awx_reanchors_old_minutely_rules_once_a_day():
    """What the rrule template's note says: a 7-minute rule is exact but for one 5-minute gap a day."""
    rule = "DTSTART:20240101T000300Z RRULE:FREQ=MINUTELY;INTERVAL=7"
    moment = datetime.datetime(2026, 11, 29, 23, 40, tzinfo=datetime.timezone.utc)
    runs = []
    for _step in range(8):
        moment = awx_rrulestr(rule, now=moment).after(moment)
        runs.append(moment)
    gaps = [int((b - a).total_seconds()) // 60 for a, b in zip(runs, runs[1:])]
    assert sorted(gaps) == [5, 7, 7, 7, 7, 7, 7]
    assert runs[gaps.index(5)].strftime("%H:%M") == "00:05"


# ---------------------------------------------------------------------------
# bootstrap.yml and schedule.yml against it
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def awx(tmp_path_factory):
    """One stand-in with one bootstrap of FABRICS, shared by the tests that only look."""
    root = tmp_path_factory.mktemp("awx")
    with AwxStandin(state_dir=root / "standin") as standin:
        bed = AwxBed(root, standin, playbook_runner())
        bed.first_run = bed.bootstrap(FABRICS)
        yield bed


@pytest.fixture
def fresh_awx(tmp_path, awx_standin, run_playbook):
    return AwxBed(tmp_path, awx_standin, run_playbook)


def test_bootstrap_defines_the_two_credential_types(awx):
    fabric = awx.one("credential_types", name="Hedgehog fabric")
    netbox = awx.one("credential_types", name="NetBox")

    assert (fabric["kind"], netbox["kind"], fabric["managed"]) == ("cloud", "cloud", False)
    assert [f["id"] for f in fabric["inputs"]["fields"]] == ["fabric", "kubeconfig", "host", "api_key", "ca_cert"]
    assert fabric["inputs"]["required"] == ["fabric"]
    assert {f["id"] for f in fabric["inputs"]["fields"] if f.get("secret")} == {"kubeconfig", "api_key"}
    # Under names only role fabric_sync reads: no K8S_AUTH_* or NETBOX_* that the module would take on its own.
    assert fabric["injectors"]["env"] == {
        "HEDGEHOG_CREDENTIAL_FABRIC": "{{ fabric }}",
        "HEDGEHOG_K8S_KUBECONFIG": "{% if kubeconfig %}{{ tower.filename.kubeconfig }}{% endif %}",
        "HEDGEHOG_K8S_HOST": "{{ host }}",
        "HEDGEHOG_K8S_API_KEY": "{{ api_key }}",
        "HEDGEHOG_K8S_CA_CERT": "{% if ca_cert %}{{ tower.filename.ca_cert }}{% endif %}",
    }
    assert sorted(fabric["injectors"]["file"]) == ["template.ca_cert", "template.kubeconfig"]
    assert netbox["injectors"] == {"env": {"HEDGEHOG_NETBOX_URL": "{{ url }}", "HEDGEHOG_NETBOX_TOKEN": "{{ token }}"}}


def test_bootstrap_stores_the_secrets_in_credentials_not_in_its_output(awx):
    netbox = awx.one("credentials", name="hedgehog-netbox")
    fabric = awx.one("credentials", name="hedgehog-fabric-fab-b")

    assert netbox["inputs"] == {"url": "https://netbox.example.com", "token": "$encrypted$"}
    assert fabric["inputs"] == {"host": "https://172.30.0.1:6443", "api_key": "$encrypted$", "fabric": "fab-b"}
    assert awx.standin.store.get_record("credentials", fabric["id"])["inputs"]["api_key"] == K8S_TOKEN
    for secret in (NETBOX_TOKEN, K8S_TOKEN):
        assert secret not in awx.first_run.stdout and secret not in awx.first_run.stderr


PROMPTS = ("ask_scm_branch_on_launch", "ask_diff_mode_on_launch", "ask_variables_on_launch", "ask_limit_on_launch",
           "ask_tags_on_launch", "ask_skip_tags_on_launch", "ask_job_type_on_launch", "ask_verbosity_on_launch",
           "ask_inventory_on_launch", "ask_execution_environment_on_launch", "ask_labels_on_launch",
           "ask_forks_on_launch", "ask_job_slice_count_on_launch", "ask_timeout_on_launch",
           "ask_instance_groups_on_launch")


def test_bootstrap_defines_one_job_template_whose_only_input_is_the_fabric(awx):
    template = awx.one("job_templates", name="hedgehog-netbox-sync")
    project = awx.one("projects", name="Hedgehog NetBox sync")
    inventory = awx.one("inventories", name="Hedgehog fabrics")

    assert {name: template[name] for name in PROMPTS} == dict.fromkeys(PROMPTS, False)
    # A schedule brings its fabric's credential only when the template asks for credentials.
    assert template["ask_credential_on_launch"] is True
    assert template["survey_enabled"] is True
    assert Api(awx.standin)("GET", template["related"]["survey_spec"]) == (200, {
        "name": "Fabric", "description": "The fabric to sync (hedgehog.netbox_sync)",
        "spec": [{"question_name": "Fabric", "question_description": "An inventory host of group hedgehog_fabrics",
                  "variable": "fabric", "type": "multiplechoice", "choices": ["fab-a", "fab-b", "fab-c"],
                  "required": True}]})
    assert (template["host_config_key"], template["webhook_service"], template["become_enabled"]) == ("", "", False)
    assert template["allow_simultaneous"] is False
    assert (template["playbook"], template["project"], template["inventory"]) == (
        "playbooks/sync.yml", project["id"], inventory["id"])
    assert template["timeout"] == 1800 and template["job_type"] == "run"
    assert [c["name"] for c in template["summary_fields"]["credentials"]] == ["hedgehog-netbox"]


def test_the_project_is_the_operators_own_pinned_and_not_updated_on_launch(awx):
    project = awx.one("projects", name="Hedgehog NetBox sync")
    source = awx.one("inventory_sources", name="Hedgehog fabrics from the project")

    assert (project["scm_url"], project["scm_branch"]) == (PROJECT["schedule_awx_project_scm_url"],
                                                           PROJECT["schedule_awx_project_scm_branch"])
    assert (project["scm_update_on_launch"], project["allow_override"]) == (False, False)
    assert (source["source"], source["source_project"], source["source_path"], source["update_on_launch"]) == (
        "scm", project["id"], "inventory/hosts.yml", False)


def test_bootstrap_schedules_each_enabled_fabric_in_utc_with_its_name(awx):
    template = awx.one("job_templates", name="hedgehog-netbox-sync")
    schedules = awx.schedules()

    assert sorted(schedules) == ["hedgehog-sync-fab-a", "hedgehog-sync-fab-b"]
    for fabric, minutes in (("fab-a", 1), ("fab-b", 7)):
        schedule = schedules["hedgehog-sync-" + fabric]
        assert schedule["unified_job_template"] == template["id"]
        assert schedule["extra_data"] == {"fabric": fabric}
        assert schedule["enabled"] is True and schedule["timezone"] == "UTC"
        assert re.fullmatch(r"DTSTART:20240101T\d{4}00Z RRULE:FREQ=MINUTELY;INTERVAL=%d" % minutes,
                            schedule["rrule"])
        next_run = datetime.datetime.strptime(schedule["next_run"], "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        assert next_run - datetime.datetime.now(datetime.timezone.utc) <= datetime.timedelta(minutes=minutes)
    credentials = awx.standin.store.association("schedules", schedules["hedgehog-sync-fab-b"]["id"], "credentials")
    assert credentials == [awx.one("credentials", name="hedgehog-fabric-fab-b")["id"]]
    assert awx.standin.store.association("schedules", schedules["hedgehog-sync-fab-a"]["id"], "credentials") == []


def test_a_second_bootstrap_changes_nothing_and_writes_nothing(awx):
    awx.standin.requests.reset()

    run = awx.bootstrap(FABRICS)

    assert run.changed() == 0
    assert awx.standin.requests.writes() == []
    assert awx.standin.requests.rows()  # it did look


def test_schedule_shows_the_awx_schedules_with_their_last_job(awx):
    schedule = awx.schedules()["hedgehog-sync-fab-a"]
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - datetime.timedelta(seconds=150)
    awx.standin.add_job(schedule["id"], status="successful", started=started,
                        finished=started + datetime.timedelta(seconds=20))

    before = time.time()
    rows = {r["fabric"]: r for r in awx.run("schedule.yml", FABRICS, {"output": "json"}).debug_msg(
        "Show the rows as JSON")}
    after = time.time()

    assert rows["fab-a"]["scheduler"] == "awx" and rows["fab-a"]["scheduled_interval"] == 60
    assert rows["fab-a"]["last_result"] == "successful"
    assert rows["fab-a"]["last_start"] == started.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The spans count from the controller's clock, read while the playbook ran (between before and after),
    # in whole seconds cut toward zero: bounds that hold however long the run took.
    assert int(before - started.timestamp()) <= rows["fab-a"]["last_start_ago"] <= int(after - started.timestamp())
    next_run = datetime.datetime.strptime(rows["fab-a"]["next_run"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
    assert int(next_run - after) <= rows["fab-a"]["next_run_in"] <= int(next_run - before)
    assert rows["fab-b"]["last_start"] is None and rows["fab-b"]["scheduled_interval"] == 420
    assert rows["fab-c"]["scheduled"] is False
    table = "\n".join(awx.run("schedule.yml", FABRICS).debug_msg("Show one line per fabric"))
    assert re.search(r"fab-a\s+awx\s+every 60 s\s+\S+Z \(\d+ min ago, successful\)\s+in \d+ s", table)
    assert re.search(r"fab-b\s+awx\s+every 7 min\s+never\s+in \d+ (s|min)", table)


def test_schedules_follow_the_inventory_and_force_recreates_them(fresh_awx):
    awx = fresh_awx
    awx.bootstrap(FABRICS)
    before = awx.schedules()

    # fab-a disabled, fab-b gone, fab-c enabled: only fab-c keeps (gets) a schedule.
    fabrics = {"fab-a": dict(FABRICS["fab-a"], hedgehog_sync_enabled=False),
               "fab-c": dict(FABRICS["fab-c"], hedgehog_sync_enabled=True)}
    awx.bootstrap(fabrics)
    assert sorted(awx.schedules()) == ["hedgehog-sync-fab-c"]
    assert awx.schedules()["hedgehog-sync-fab-c"]["rrule"].endswith("RRULE:FREQ=MINUTELY;INTERVAL=5")

    # A schedule of someone else's on the template is left alone.
    template = awx.one("job_templates", name="hedgehog-netbox-sync")
    Api(awx.standin).make("/api/v2/schedules/", {"name": "nightly-by-hand", "unified_job_template": template["id"],
                                                 "rrule": "DTSTART:20240101T020000Z RRULE:FREQ=DAILY;INTERVAL=1",
                                                 "extra_data": {"fabric": "fab-c"}})
    assert awx.bootstrap(fabrics).changed() == 0
    assert sorted(awx.schedules()) == ["hedgehog-sync-fab-c", "nightly-by-hand"]

    run = awx.bootstrap(fabrics, extra_vars={"force": True})
    after = awx.schedules()
    # Force removes the template (with its schedules) and the credentials made here, and makes them anew;
    # the organization, credential types, project, inventory and execution environment stay.
    assert run.changed_tasks() == ["hedgehog.netbox_sync.schedule_awx : " + task for task in (
        "Remove the job template and its schedules, to recreate them",
        "Remove the credentials made here, to recreate them",
        "Store the NetBox URL and token as a credential",
        "Define the job template that syncs one fabric",
        "Schedule each enabled fabric at its interval, in UTC")]
    assert run.changed() == 5
    # The template was recreated; AWX deletes a template's schedules with it.
    assert sorted(after) == ["hedgehog-sync-fab-c"]
    new_template = awx.one("job_templates", name="hedgehog-netbox-sync")
    assert new_template["id"] != template["id"]
    assert after["hedgehog-sync-fab-c"]["id"] not in {s["id"] for s in before.values()}
    assert awx.bootstrap(fabrics).changed() == 0


def test_intervals_become_minute_grained_utc_rules(fresh_awx):
    awx = fresh_awx
    fabrics = {"f61": {"hedgehog_sync_interval": 61}, "f3600": {"hedgehog_sync_interval": 3600},
               "f5400": {"hedgehog_sync_interval": 5400}, "f86400": {"hedgehog_sync_interval": 86400},
               "f90000": {"hedgehog_sync_interval": 90000}}
    # No NetBox credential this time: the template gets none.
    awx.bootstrap(fabrics, extra_vars={"schedule_awx_netbox_credential": ""})

    rules = {name: s["rrule"].split(" ")[1] for name, s in awx.schedules().items()}
    assert rules == {
        "hedgehog-sync-f61": "RRULE:FREQ=MINUTELY;INTERVAL=2",       # rounded up to whole minutes
        "hedgehog-sync-f3600": "RRULE:FREQ=HOURLY;INTERVAL=1",
        "hedgehog-sync-f5400": "RRULE:FREQ=MINUTELY;INTERVAL=90",
        "hedgehog-sync-f86400": "RRULE:FREQ=DAILY;INTERVAL=1",
        "hedgehog-sync-f90000": "RRULE:FREQ=DAILY;INTERVAL=2",       # past a day: whole days
    }
    assert awx.standin.objects("credentials") == []
    assert awx.one("job_templates", name="hedgehog-netbox-sync")["summary_fields"]["credentials"] == []


def test_bootstrap_logs_in_with_a_username_and_password_over_https(tmp_path, awx_standin_factory, run_playbook):
    standin = awx_standin_factory(tls=True, username="ops", password="Sekr1t-pass")
    awx = AwxBed(tmp_path, standin, run_playbook)

    awx.bootstrap({"fab-a": {}}, env={"CONTROLLER_OAUTH_TOKEN": "", "CONTROLLER_USERNAME": "ops",
                                      "CONTROLLER_PASSWORD": "Sekr1t-pass"})

    assert sorted(awx.schedules()) == ["hedgehog-sync-fab-a"]
    tokens = standin.requests.rows(path_prefix="/api/v2/tokens/")
    assert {r["method"] for r in tokens} == {"POST", "DELETE"}
    assert {r["user"] for r in standin.requests.rows() if r["path"] not in ("/api/v2/ping/",)} == {"ops"}


def test_a_bad_token_fails_the_bootstrap_with_401(fresh_awx):
    run = fresh_awx.bootstrap({"fab-a": {}}, env={"CONTROLLER_OAUTH_TOKEN": "wrong"}, check=False)

    assert run.returncode != 0
    assert "Invalid authentication credentials" in run.stdout and "401" in run.stdout
    assert fresh_awx.standin.requests.writes() == []


def test_an_execution_environment_and_simultaneous_jobs_when_asked(fresh_awx):
    """-e schedule_awx_execution_environment=NAME -e ..._image=IMAGE: the EE is made and the template runs in it;
    schedule_awx_allow_simultaneous lets the fabrics' jobs run side by side (each fabric's lease still holds)."""
    awx = fresh_awx
    options = {"schedule_awx_execution_environment": "hedgehog-netbox-sync-ee",
               "schedule_awx_execution_environment_image": "registry.example.com/netops/hedgehog-ee:1.4.0",
               "schedule_awx_allow_simultaneous": True}

    awx.bootstrap(FABRICS, extra_vars=options)

    environment = awx.one("execution_environments", name="hedgehog-netbox-sync-ee")
    assert environment["image"] == "registry.example.com/netops/hedgehog-ee:1.4.0"
    template = awx.one("job_templates", name="hedgehog-netbox-sync")
    assert (template["execution_environment"], template["allow_simultaneous"]) == (environment["id"], True)
    assert template["ask_execution_environment_on_launch"] is False
    assert awx.bootstrap(FABRICS, extra_vars=options).changed() == 0
