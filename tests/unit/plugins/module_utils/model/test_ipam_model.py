# -*- coding: utf-8 -*-
# Copyright: hedgehog.netbox_sync contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.hedgehog.netbox_sync.plugins.module_utils.model.ipam import Attachment, IpamModel


def attachment(name, connection):
    return Attachment(name=name, connection=connection, vpc="vpc-1", subnet="default")


def test_a_connections_attachments_come_in_name_order_and_only_its_own():
    model = IpamModel(attachments=dict((a.name, a) for a in (
        attachment("vpc-1--server-02", "server-02--mclag"), attachment("b-second", "server-01--unbundled"),
        attachment("a-first", "server-01--unbundled"))))
    assert [a.name for a in model.attachments_of("server-01--unbundled")] == ["a-first", "b-second"]
    assert [a.name for a in model.attachments_of("server-02--mclag")] == ["vpc-1--server-02"]
    assert model.attachments_of("server-03--unbundled") == []


def test_what_a_caller_does_with_the_answer_leaves_the_model_alone():
    model = IpamModel(attachments={"a": attachment("a", "c")})
    model.attachments_of("c").clear()
    assert [a.name for a in model.attachments_of("c")] == ["a"]
