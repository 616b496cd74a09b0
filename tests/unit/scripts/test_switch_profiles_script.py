"""scripts/switch-profiles end to end on a small fabric-like Go module written for these tests.

The module has the fabric's layout (go.mod, api/meta, api/wiring/v1beta1,
pkg/ctrl/switchprofile) and is read from a directory, a tarball as GitHub
serves it and a git repository, at two tags.
"""

from __future__ import annotations

import io
import subprocess
import tarfile

import pytest

from switchprofiles import generate
from switchprofiles.render import digest_of
from switchprofiles.upstream import DirTree, GitTree, Pin, SourceError, TarTree, read_all, read_profiles, trees_for

GO_MOD = "module example.com/fabric\n\ngo 1.22\n"

META = '''package meta

type NOSType string

const (
\tNOSTypeBase NOSType = "sonic-bcm-base" // the NOS
\tNOSTypeVS   NOSType = "sonic-bcm-vs"
)
'''

WIRING = '''package v1beta1

import (
\t"example.com/fabric/api/meta"
\tkmetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

type SwitchProfilePort struct {
\tNOSName     string `json:"nos,omitempty"`
\tBaseNOSName string `json:"baseNOSName,omitempty"`
\tLabel       string `json:"label,omitempty"`
\tProfile     string `json:"profile,omitempty"`
\tManagement  bool   `json:"management,omitempty"`
}

type SwitchProfilePortProfileSpeed struct {
\tDefault   string   `json:"default,omitempty"`
\tSupported []string `json:"supported,omitempty"`
}

type SwitchProfilePortProfile struct {
\tSpeed *SwitchProfilePortProfileSpeed `json:"speed,omitempty"`
}

type SwitchProfileSpec struct {
\tDisplayName  string                              `json:"displayName,omitempty"`
\tNOSType      meta.NOSType                        `json:"nosType,omitempty"`
\tPorts        map[string]SwitchProfilePort        `json:"ports,omitempty"`
\tPortProfiles map[string]SwitchProfilePortProfile `json:"portProfiles,omitempty"`
}

type SwitchProfile struct {
\tkmetav1.TypeMeta   `json:",inline"`
\tkmetav1.ObjectMeta `json:"metadata,omitempty"`

\tSpec SwitchProfileSpec `json:"spec,omitempty"`
}
'''

PROFILE = '''package switchprofile

import (
\t"example.com/fabric/api/meta"
\twiringapi "example.com/fabric/api/wiring/v1beta1"
\tkmetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

var %(var)s = wiringapi.SwitchProfile{
\tObjectMeta: kmetav1.ObjectMeta{Name: "%(name)s"},
\tSpec: wiringapi.SwitchProfileSpec{
\t\tDisplayName: "%(display)s",
\t\tNOSType:     meta.NOSTypeBase,
\t\tPorts: map[string]wiringapi.SwitchProfilePort{
\t\t\t"M1":   {NOSName: "Management0", Management: true},
\t\t\t"E1/1": {NOSName: "Ethernet0", Label: "1", Profile: "SFP28-25G"},
\t\t},
\t\tPortProfiles: map[string]wiringapi.SwitchProfilePortProfile{
\t\t\t"SFP28-25G": {Speed: &wiringapi.SwitchProfilePortProfileSpeed{Default: "25G", Supported: []string{"25G"}}},
\t\t},
\t},
}
'''

CATALOG = '''package switchprofile

import wiringapi "example.com/fabric/api/wiring/v1beta1"

var defaultSwitchProfiles = []wiringapi.SwitchProfile{
%s}

var notAProfileList = []string{"x"}
'''


def fabric_files(profiles):
    """{path: text} of a module whose catalog lists ``profiles`` [(var, name, display)]."""
    files = {"go.mod": GO_MOD, "api/meta/types.go": META, "api/wiring/v1beta1/switchprofile_types.go": WIRING,
             "pkg/ctrl/switchprofile/catalog.go": CATALOG % "".join("\t%s,\n" % var for var, _n, _d in profiles)}
    for var, name, display in profiles:
        files["pkg/ctrl/switchprofile/p_%s.go" % name] = PROFILE % {"var": var, "name": name, "display": display}
    return files


OLD = fabric_files([("Alpha", "alpha", "Alpha 1"), ("Gone", "gone", "Gone")])
NEW = fabric_files([("Alpha", "alpha", "Alpha 2"), ("Beta", "beta", "Beta")])
PINS = (Pin("1.0", "v1.0.0", "1" * 40), Pin("", "v2.0.0", "2" * 40))


def write_tree(root, files):
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return root


def tarball(files, commit):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": commit}) as tar:
        for path, text in sorted(files.items()):
            data = text.encode("utf-8")
            info = tarfile.TarInfo("fabric-x/" + path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_a_profile_reads_as_the_object_the_controller_serves(tmp_path):
    profiles = read_profiles(DirTree(str(write_tree(tmp_path, NEW)), PINS[1]))
    assert profiles["beta"] == {
        "apiVersion": "wiring.githedgehog.com/v1beta1", "kind": "SwitchProfile",
        "metadata": {"name": "beta", "namespace": "default"},
        "spec": {"displayName": "Beta", "nosType": "sonic-bcm-base",
                 "ports": {"M1": {"nos": "Management0", "management": True},
                           "E1/1": {"nos": "Ethernet0", "label": "1", "profile": "SFP28-25G"}},
                 "portProfiles": {"SFP28-25G": {"speed": {"default": "25G", "supported": ["25G"]}}}},
    }


def test_the_newest_tag_wins_and_a_profile_only_an_older_tag_ships_is_kept(tmp_path):
    write_tree(tmp_path / "v1.0.0", OLD)
    write_tree(tmp_path / "v2.0.0", NEW)
    profiles, origins = read_all(trees_for(str(tmp_path)), PINS)
    assert origins == {"alpha": "v2.0.0", "gone": "v1.0.0", "beta": "v2.0.0"}
    assert profiles["alpha"]["spec"]["displayName"] == "Alpha 2"


def test_a_tarball_is_read_when_it_is_the_pinned_commit():
    profiles = read_profiles(TarTree(tarball(NEW, PINS[1].commit), PINS[1]))
    assert sorted(profiles) == ["alpha", "beta"]
    with pytest.raises(SourceError, match="the tarball of v2.0.0 is commit 1111111111111111111111111111111111111111, "
                                          "not the pinned 2222222222222222222222222222222222222222"):
        TarTree(tarball(NEW, PINS[0].commit), PINS[1])


def git(repo, *args):
    return subprocess.run(("git", "-C", str(repo)) + args, check=True, capture_output=True, text=True).stdout.strip()


def test_a_git_repository_is_read_at_the_tags_and_a_moved_tag_is_refused(tmp_path):
    repo = tmp_path / "fabric"
    repo.mkdir()
    git(repo, "init", "-q")
    commits = []
    for files, tag in ((OLD, "v1.0.0"), (NEW, "v2.0.0")):
        for path in list(repo.glob("pkg/ctrl/switchprofile/p_*.go")):
            path.unlink()
        write_tree(repo, files)
        git(repo, "add", "-A")
        git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", tag)
        git(repo, "tag", tag)
        commits.append(git(repo, "rev-parse", "HEAD"))
    pins = (Pin("1.0", "v1.0.0", commits[0]), Pin("", "v2.0.0", commits[1]))
    text = generate(trees_for(str(repo)), pins)
    assert 'ORIGINS = {"alpha": "v2.0.0", "beta": "v2.0.0", "gone": "v1.0.0"}' in text
    assert "from githedgehog/fabric v2.0.0 (%s)" % commits[1] in text
    namespace = {}
    exec(compile(text, "generated", "exec"), namespace)  # pylint: disable=exec-used
    assert namespace["DIGEST"] == digest_of(namespace["SOURCES"], namespace["ORIGINS"], namespace["PROFILES"])
    with pytest.raises(SourceError, match="tag v1.0.0 of .* is commit %s, not the pinned %s" % (commits[0], "0" * 40)):
        GitTree(str(repo), Pin("1.0", "v1.0.0", "0" * 40))


def test_generating_twice_writes_the_same_text(tmp_path):
    write_tree(tmp_path / "v1.0.0", OLD)
    write_tree(tmp_path / "v2.0.0", NEW)
    assert generate(trees_for(str(tmp_path)), PINS) == generate(trees_for(str(tmp_path)), PINS)


def test_a_source_without_a_profile_list_is_refused(tmp_path):
    files = dict(NEW)
    files["pkg/ctrl/switchprofile/catalog.go"] = "package switchprofile\n"
    with pytest.raises(SourceError, match="v2.0.0: pkg/ctrl/switchprofile lists no switch profiles"):
        read_profiles(DirTree(str(write_tree(tmp_path, files)), PINS[1]))


def test_go_it_cannot_read_is_refused_with_the_tag_file_and_line(tmp_path):
    files = dict(NEW)
    files["pkg/ctrl/switchprofile/p_beta.go"] = files["pkg/ctrl/switchprofile/p_beta.go"].replace(
        'DisplayName: "Beta"', 'DisplayName: strings.ToUpper("beta")')
    with pytest.raises(SourceError, match=r"v2.0.0: pkg/ctrl/switchprofile/p_beta.go:12: unknown name strings"):
        read_profiles(DirTree(str(write_tree(tmp_path, files)), PINS[1]))
