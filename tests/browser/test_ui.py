"""What a person sees in NetBox's web UI after a sync of the VLAB fixture and bootstrap's UI part.

A real browser (headless Chromium) logs into the test bed's NetBox as a person would and looks at
the Clusters list with the shared table config, the fabric's page, the custom links, the
notifications of a member of the alert group, the dashboard widget and, where NetBox runs it, the
topology plugin's picture.
"""

from __future__ import annotations

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

import sync_helpers as h
import ui_helpers as u
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui import objects
from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.ui.topology import plugin_version

pytestmark = pytest.mark.browser

# Pages of a loaded two-core machine can take a while; every wait is bounded by this.
WAIT = 90


@pytest.fixture(scope="module")
def nb(netbox, netbox_testbed, kube_vlab):
    """The VLAB synced by a recorded run, and bootstrap's UI part made for it."""
    u.restore_recorded_vlab(netbox_testbed, netbox, kube_vlab)
    u.apply(netbox)
    return netbox


def wait_for(driver, locator):
    return WebDriverWait(driver, WAIT).until(ready.visibility_of_element_located(locator))


def log_in(driver, netbox, username=None, password=None):
    driver.delete_all_cookies()
    driver.get(netbox.url + "/login/")
    wait_for(driver, (By.NAME, "username")).send_keys(username or netbox.username)
    driver.find_element(By.NAME, "password").send_keys(password or netbox.password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    WebDriverWait(driver, WAIT).until(lambda d: "/login/" not in d.current_url)


def open_page(driver, netbox, path):
    driver.get(netbox.url + path)
    wait_for(driver, (By.CSS_SELECTOR, "footer, .page-body"))


def custom_fields(driver):
    """The fabric page's custom fields panel as (row header, value) in the order shown, group rows included."""
    panel = wait_for(driver, (By.XPATH, "//div[contains(@class,'card')][.//h2[normalize-space()='Custom Fields']]"))
    rows = []
    for row in panel.find_elements(By.CSS_SELECTOR, "tr"):
        cells = row.find_elements(By.CSS_SELECTOR, "th, td")
        rows.append(tuple(cell.text.strip() for cell in cells))
    return panel, rows


def test_the_clusters_list_with_the_shared_table_config_shows_the_fabrics_status(chromium, nb, screenshot):
    log_in(chromium, nb)
    open_page(chromium, nb, "/virtualization/clusters/")
    # The shared config is one pick in the table's menu.
    chromium.find_element(By.CSS_SELECTOR, ".table-configure .dropdown-toggle").click()
    wait_for(chromium, (By.LINK_TEXT, objects.TABLE_CONFIG_NAME)).click()
    table = wait_for(chromium, (By.CSS_SELECTOR, "table.table"))
    headers = [th.text.strip() for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    assert [h_ for h_ in headers if h_][:8] == ["NAME", "SYNC STATUS", "LAST SUCCESS", "SYNC AGE", "LAST CHANGES",
                                                "PROBLEMS", "SCOPE", "DEVICES"]
    (row,) = [r for r in table.find_elements(By.CSS_SELECTOR, "tbody tr") if "vlab" in r.text]
    cells = [td.text.strip() for td in row.find_elements(By.CSS_SELECTOR, "td")]
    fields = u.record(nb)["custom_fields"]
    assert cells[1:8] == ["vlab", "in_sync", cells[3], cells[4], fields["hedgehog_last_summary"], "0", "VLAB"]
    assert re.fullmatch(r"synced \d+ (s|min|h) ago", cells[4]), cells[4]
    assert cells[3].startswith(fields["hedgehog_last_success"][:10])
    screenshot("clusters-list", chromium.find_element(By.CSS_SELECTOR, ".page-body"))


def test_the_fabrics_page_shows_status_and_last_error_above_the_counts(chromium, nb, kube_vlab, screenshot):
    log_in(chromium, nb)
    record = "/virtualization/clusters/%d/" % u.record(nb)["id"]
    open_page(chromium, nb, record)
    _panel, rows = custom_fields(chromium)
    headers = [row[0] for row in rows]
    assert headers[:4] == ["Fabric sync", "Sync status", "Last error", "Last success"]
    assert rows[1] == ("Sync status", "in_sync")
    assert headers.index("Last changes") < headers.index("Hedgehog") < headers.index("Sync details") < \
        headers.index("Last counts")
    assert "Run lease" not in headers  # empty unless a run holds the fabric
    # The same page after a failed run: the cause is the second thing on it.
    u.fail_a_run(nb, kube_vlab)
    try:
        open_page(chromium, nb, record)
        panel, rows = custom_fields(chromium)
        assert rows[1] == ("Sync status", "error")
        assert rows[2][0] == "Last error" and "401" in rows[2][1]
        # The picture leaves out the source: here it names a temporary kubeconfig of the test run.
        chromium.execute_script("arguments[0].querySelectorAll('tr').forEach(function (row) {"
                                " if (row.textContent.trim().startsWith('Source')) { row.remove(); } });", panel)
        screenshot("fabric-record", panel)
    finally:
        h.recorded_sync(h.config_for(nb, kube_vlab))


@pytest.mark.parametrize("page", ["device", "cable"])
def test_the_custom_links_lead_to_the_fabrics_record(chromium, nb, page):
    log_in(chromium, nb)
    if page == "device":
        path = "/dcim/devices/%d/" % h.device_id(nb, "leaf-01")
    else:
        path = "/dcim/cables/%d/" % h.api_list(nb, "dcim/cables", label="server-03--unbundled--leaf-01")[0]["id"]
    open_page(chromium, nb, path)
    wait_for(chromium, (By.LINK_TEXT, "Fabric vlab")).click()
    WebDriverWait(chromium, WAIT).until(lambda d: d.title.startswith("vlab"))
    assert chromium.current_url == nb.url + "/virtualization/clusters/%d/" % u.record(nb)["id"]


def test_the_fabric_menu_offers_the_cabling_and_the_orphans(chromium, nb):
    log_in(chromium, nb)
    open_page(chromium, nb, "/virtualization/clusters/%d/" % u.record(nb)["id"])
    wait_for(chromium, (By.XPATH, "//button[normalize-space()='Fabric']")).click()
    cabling = wait_for(chromium, (By.LINK_TEXT, "Cabling (CSV)")).get_attribute("href")
    assert cabling == nb.url + "/dcim/cables/?cf_hedgehog_fabric=vlab&export=Hedgehog%20cabling%20%28CSV%29"
    chromium.find_element(By.LINK_TEXT, "Orphaned devices").click()
    WebDriverWait(chromium, WAIT).until(lambda d: "/dcim/devices/" in d.current_url)
    assert "tag=hedgehog-orphan" in chromium.current_url and "cf_hedgehog_fabric=vlab" in chromium.current_url


def displayed(driver, selector):
    return [element for element in driver.find_elements(By.CSS_SELECTOR, selector) if element.is_displayed()]


def test_a_fabric_forced_into_error_notifies_a_member_of_the_group(chromium, nb, kube_vlab, screenshot):
    member = u.add_member(nb, objects.NOTIFICATION_GROUP, username="noc-bob", password="Noc-Bob-Testbed-12")
    # A member who may look at clusters, as a NetBox administrator would set one up.
    nb.api.users.permissions.create(name="noc view clusters", object_types=["virtualization.cluster"],
                                    actions=["view"], users=[member])
    try:
        u.fail_a_run(nb, kube_vlab)
        log_in(chromium, nb, "noc-bob", "Noc-Bob-Testbed-12")
        # The bell rings; opening it lists the fabric.
        WebDriverWait(chromium, WAIT).until(lambda d: displayed(d, "#notifications-alert .mdi-bell-ring"))
        displayed(chromium, "button[aria-label=Notifications]")[0].click()
        WebDriverWait(chromium, WAIT).until(lambda d: displayed(d, ".notifications div.list-group-item"))
        (item,) = displayed(chromium, ".notifications div.list-group-item")
        assert item.text.splitlines()[0] == "vlab" and item.text.splitlines()[1].startswith("Object updated")
        screenshot("notification", displayed(chromium, ".notifications")[0])
        item.find_element(By.LINK_TEXT, "vlab").click()
        WebDriverWait(chromium, WAIT).until(lambda d: d.title.startswith("vlab"))
        _panel, rows = custom_fields(chromium)
        assert rows[1] == ("Sync status", "error")
    finally:
        h.recorded_sync(h.config_for(nb, kube_vlab))
        u.dismiss_all(nb, member)


def test_the_dashboard_widget_lists_every_fabric(chromium, nb, screenshot):
    log_in(chromium, nb)  # the first visit of the home page makes the user's dashboard
    open_page(chromium, nb, "/")
    result, _requests = u.apply(nb, dashboard=True)
    assert result["dashboard"] in ("added", None)
    open_page(chromium, nb, "/")
    card = wait_for(chromium, (By.XPATH, "//div[contains(@class,'card')][.//*[normalize-space()='Hedgehog fabrics']]"))
    WebDriverWait(chromium, WAIT).until(lambda d: "in_sync" in card.text)
    assert "vlab" in card.text and "SYNC STATUS" in card.text.upper()
    screenshot("dashboard-widget", card)


def test_the_topology_shows_the_fabric_in_layers_where_netbox_runs_the_plugin(chromium, nb, screenshot):
    log_in(chromium, nb)
    open_page(chromium, nb, "/virtualization/clusters/%d/" % u.record(nb)["id"])
    wait_for(chromium, (By.XPATH, "//button[normalize-space()='Fabric']")).click()
    wait_for(chromium, (By.LINK_TEXT, "Cabling (CSV)"))
    if plugin_version(u.client_of(nb)) is None:
        # Without the plugin (the default test bed; HHNBS_TOPOLOGY_VIEWS=1 adds it) the menu has no picture.
        assert chromium.find_elements(By.LINK_TEXT, "Topology") == []
        return
    chromium.find_element(By.LINK_TEXT, "Topology").click()
    canvas = wait_for(chromium, (By.CSS_SELECTOR, "#visgraph canvas, canvas"))
    assert "cf_hedgehog_fabric=vlab" in chromium.current_url
    WebDriverWait(chromium, WAIT).until(lambda d: d.execute_script(
        "return document.querySelector('canvas') && document.querySelector('canvas').width > 0"))
    screenshot("topology", canvas)
