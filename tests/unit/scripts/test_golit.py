"""The Go-literal reader of scripts/switch-profiles, on small Go packages written for these tests."""

from __future__ import annotations

import pytest

from switchprofiles.golit import GoError, Loader, tokenize, to_json

MODULE = "example.com/shop"
SHOP = 'shop "example.com/shop/api/v1"'

# A types package in the style of a Kubernetes API: JSON tags, omitempty, pointers, maps, an embedded meta.
API = '''
package v1

import (
    "fmt"

    kmetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
    "example.com/shop/api/meta"
)

// Speed of one port; never empty on the wire.
type Speed struct {
    Default   string   `json:"default"`
    Supported []string `json:"supported,omitempty"`
}

type Mode struct {
    Offsets []string `json:"offsets,omitempty"`
}

type Breakout struct {
    Default   string          `json:"default,omitempty"`
    Supported map[string]Mode `json:"supported,omitempty"`
}

type PortProfile struct {
    Speed    *Speed    `json:"speed,omitempty"`
    Breakout *Breakout `json:"breakout,omitempty"`
    AutoNeg  bool      `json:"autoNeg,omitempty"`
}

type Port struct {
    NOSName string `json:"nos,omitempty"`
    Group   string `json:"group,omitempty"`
    Profile string `json:"profile,omitempty"`
    Hidden  string `json:"-"`
    secret  string
}

type Features struct {
    ACLs  bool `json:"acls,omitempty"`
    VXLAN bool `json:"vxlan,omitempty"`
}

type ShelfSpec struct {
    Name     string                 `json:"displayName,omitempty"`
    Kind     meta.Kind              `json:"kind,omitempty"`
    Features Features               `json:"features,omitempty"`
    Ports    map[string]Port        `json:"ports,omitempty"`
    Profiles map[string]PortProfile `json:"portProfiles,omitempty"`
    MaxPorts uint16                 `json:"maxPorts,omitempty"`
    Weight   float64                `json:"weight,omitempty"`
    Tags     []string               `json:"tags"`
}

type Shelf struct {
    kmetav1.TypeMeta   `json:",inline"`
    kmetav1.ObjectMeta `json:"metadata,omitempty"`

    Spec ShelfSpec `json:"spec,omitempty"`
}

func (s *Shelf) Describe() string {
    if s.Spec.Name == "" { return fmt.Sprintf("{%s}", "}") }
    return s.Spec.Name + '}' + "/*"
}

func Count() map[string]struct{} { return map[string]struct{}{} }
'''

META = '''
package meta

type Kind string

const (
    KindOak  Kind = "oak"
    KindPine Kind = "pine" /* a block comment */
)

const (
    First = iota * 10
    Second
    Third
)
'''

SHELVES = '''
package shelves

import (
    "github.com/samber/lo"
    shop "example.com/shop/api/v1"
    "example.com/shop/api/meta"
    kmetav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

const (
    prefix = "Eth" + "ernet" // constant expressions
    width  = 4
)

var Oak = shop.Shelf{
    ObjectMeta: kmetav1.ObjectMeta{
        Name: "oak-" + "shelf",
    },
    Spec: shop.ShelfSpec{
        Name:     `Oak "Classic"`, // raw string with quotes
        Kind:     meta.KindOak,
        Features: shop.Features{ACLs: true, VXLAN: false},
        Ports: map[string]shop.Port{
            "M1":   {NOSName: "Management0"},
            "E1/1": {NOSName: prefix + "0", Group: "1"},
            /* a commented-out port:
            "E1/9": {NOSName: "Ethernet9"},
            */
            "E1/2": {NOSName: "1/2", Profile: "Q"},
        },
        Profiles: map[string]shop.PortProfile{
            "S": {Speed: &shop.Speed{Default: "25G", Supported: []string{"10G", "25G"}}},
            "Q": {
                Breakout: &shop.Breakout{
                    Default: "1x100G",
                    Supported: map[string]shop.Mode{
                        "1x100G": {Offsets: []string{"0"}},
                        "4x25G":  {Offsets: []string{"0", "1", "2", "3"}},
                    },
                },
                AutoNeg: true,
            },
        },
        MaxPorts: width * 2,
        Weight:   1.5,
    },
}

// Pine is Oak without its breakout ports, built the way the fabric builds its virtual switch.
var Pine = shop.Shelf{
    ObjectMeta: kmetav1.ObjectMeta{Name: "pine-shelf"},
    Spec: shop.ShelfSpec{
        Name:     "Pine",
        Kind:     meta.Kind("pine"),
        Features: Oak.Spec.Features,
        Ports: lo.OmitBy(Oak.Spec.Ports, func(name string, p shop.Port) bool {
            return p.Profile != "" || name == "M1" }),
        Profiles: lo.OmitBy(Oak.Spec.Profiles, func(_ string, pp shop.PortProfile) bool {
            return pp.Breakout != nil
        }),
    },
}

var catalog = []shop.Shelf{
    Oak,
    Pine,
}

var ignored = map[string]bool{"x": true}

func Lookup(name string) bool {
    _, ok := ignored[name]

    return ok
}
'''


def package_files():
    return {
        "api/v1": {"types.go": API, "types_test.go": "package v1\n\nthis is not Go at all {{{\n"},
        "api/meta": {"meta.go": META},
        "shelves": {"shelves.go": SHELVES},
    }


def loader(files=None):
    tree = files or package_files()
    return Loader(MODULE, lambda directory: tree.get(directory, {}))


def shelves(files=None):
    return loader(files).package(MODULE + "/shelves")


def value_of(text, name="x", imports=""):
    """The value of ``name`` in a one-file package (plus the shop API) holding ``text``."""
    files = package_files()
    files["probe"] = {"probe.go": "package probe\n\nimport (\n%s\n)\n\n%s\n" % (imports, text)}
    return loader(files).package(MODULE + "/probe").value(name, "test")


# -- lexer ------------------------------------------------------------------------------


def test_go_inserts_semicolons_at_line_ends_after_values_and_closers():
    tokens = tokenize('x := a\ny = f(\n  1,\n)\nreturn\n', "t.go")
    assert [t.value for t in tokens] == ["x", ":=", "a", ";", "y", "=", "f", "(", 1, ",", ")", ";", "return", ";"]


def test_comments_are_dropped_and_a_multiline_block_comment_ends_a_line():
    tokens = tokenize('a /* one */ b // two\nc /* three\nfour */ d', "t.go")
    assert [t.value for t in tokens] == ["a", "b", ";", "c", ";", "d", ";"]
    assert [t.line for t in tokens] == [1, 1, 1, 2, 2, 3, 3]


def test_string_rune_and_number_literals_are_decoded():
    tokens = tokenize(r'"a\tb\"\u00e9\x41\101" `raw\n"x"` ' + "'\\'' 'z' 0x1F 0o17 017 1_000 2.5 1e3", "t.go")
    assert [t.value for t in tokens[:-1]] == ["a\tb\"\u00e9AA", 'raw\\n"x"', 39, 122, 31, 15, 15, 1000, 2.5, 1000.0]


def test_a_character_go_does_not_have_is_an_error_with_its_place():
    with pytest.raises(GoError, match=r"t.go:2: unexpected character '\$'"):
        tokenize("a\n$", "t.go")


# -- declarations and values ----------------------------------------------------------


def test_a_struct_literal_with_maps_nested_structs_slices_and_pointers():
    oak = to_json(shelves().value("Oak", "test"))
    assert oak == {
        "metadata": {"name": "oak-shelf"},
        "spec": {
            "displayName": 'Oak "Classic"',
            "kind": "oak",
            "features": {"acls": True},
            "ports": {"M1": {"nos": "Management0"}, "E1/1": {"nos": "Ethernet0", "group": "1"},
                      "E1/2": {"nos": "1/2", "profile": "Q"}},
            "portProfiles": {
                "S": {"speed": {"default": "25G", "supported": ["10G", "25G"]}},
                "Q": {"breakout": {"default": "1x100G", "supported": {
                    "1x100G": {"offsets": ["0"]}, "4x25G": {"offsets": ["0", "1", "2", "3"]}}}, "autoNeg": True},
            },
            "maxPorts": 8,
            "weight": 1.5,
            "tags": None,
        },
    }


def test_omitempty_drops_zero_values_but_never_a_struct_and_dash_and_unexported_fields_never_show():
    port = value_of('var x = shop.Port{NOSName: "a", Hidden: "h", secret: "s"}', imports=SHOP)
    assert to_json(port) == {"nos": "a"}
    empty = value_of('var x = shop.Shelf{}', imports=SHOP)
    assert to_json(empty) == {"metadata": {}, "spec": {"features": {}, "tags": None}}


def test_closures_filter_maps_the_way_lo_omitby_does():
    pine = to_json(shelves().value("Pine", "test"))
    assert pine["spec"]["ports"] == {"E1/1": {"nos": "Ethernet0", "group": "1"}}
    assert pine["spec"]["portProfiles"] == {"S": {"speed": {"default": "25G", "supported": ["10G", "25G"]}}}


def test_selectors_reach_into_other_package_level_values():
    pine = to_json(shelves().value("Pine", "test"))
    assert pine["spec"]["features"] == to_json(shelves().value("Oak", "test"))["spec"]["features"]


def test_typed_constants_from_another_package_and_conversions_resolve_to_their_values():
    package = shelves()
    assert package.value("Oak", "test").get("Spec").get("Kind") == "oak"
    assert package.value("Pine", "test").get("Spec").get("Kind") == "pine"
    assert package.value("prefix", "test") == "Ethernet"


def test_iota_repeats_the_previous_constant_expression():
    meta = loader().package(MODULE + "/api/meta")
    assert [meta.value(name, "test") for name in ("First", "Second", "Third")] == [0, 10, 20]


def test_several_field_names_share_one_type_and_a_field_without_a_tag_keeps_its_go_name():
    pair = value_of('type pair struct {\n A, B string\n}\n\nvar x = pair{A: "a"}')
    assert to_json(pair) == {"A": "a", "B": ""}


def test_a_slice_of_struct_values_lists_its_elements_and_its_type_is_known():
    package = shelves()
    listed = package.value("catalog", "test")
    assert [to_json(shelf)["metadata"]["name"] for shelf in listed] == ["oak-shelf", "pine-shelf"]
    catalog_type = package.value_type("catalog", "test")
    assert catalog_type.kind == "slice" and catalog_type.elem.name == (MODULE + "/api/v1", "Shelf")


def test_functions_and_methods_with_braces_in_strings_and_runes_are_skipped():
    # types.go has func bodies with "}" in a string and a rune, and a result type with struct{} braces;
    # its declarations after them are still read.
    package = loader().package(MODULE + "/api/v1")
    assert sorted(name for name, d in package.declarations.items() if d.kind == "type") == [
        "Breakout", "Features", "Mode", "Port", "PortProfile", "Shelf", "ShelfSpec", "Speed"]


def test_test_files_are_not_read():
    assert loader().package(MODULE + "/api/v1").declarations  # types_test.go would not tokenize


def test_positional_struct_literals_and_elided_pointer_elements():
    found = value_of('var x = map[string]*shop.Mode{"a": {[]string{"0", "2"}}}', imports=SHOP)
    assert to_json(found) == {"a": {"offsets": ["0", "2"]}}


def test_arithmetic_and_comparisons_follow_go_precedence():
    assert value_of("const x = 1 + 2*3 - 8/3") == 5
    assert value_of("const x = -7 / 2") == -3
    assert value_of('const x = "a" < "b" && !(1 == 2) || false') is True


# -- what it refuses --------------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ('var x = fmt.Sprintf("%d", 1)', r"probe/probe.go:\d+: calls of fmt.Sprintf are not supported"),
    ("var x = y", r"unknown name y"),
    ('var x = shop.Port{Speed: "1G"}', r"Port has no field Speed"),
    ('var x = shop.Port{NOSName: "a", NOSName: "b"}', r"field NOSName set twice"),
    ('var x = map[string]int{"a": 1, "a": 2}', r"duplicate key 'a'"),
    ("var x = func() int { y := 1; return y }", r"only function literals whose body is one return statement"),
    ("var x = x", r"x refers to itself"),
    ("var x = shop.Nothing{}", r"Nothing is not declared in package example.com/shop/api/v1"),
])
def test_what_it_cannot_read_is_an_error_naming_the_place(text, message):
    imports = '"fmt"\n' + SHOP
    with pytest.raises(GoError, match=message):
        value_of(text, imports=imports)


def test_a_declaration_it_cannot_parse_costs_nothing_until_it_is_used():
    package_text = 'var x = 1\n\nvar odd = <-make(chan int)\n'
    assert value_of(package_text) == 1
    with pytest.raises(GoError, match="expected an expression"):
        value_of(package_text, name="odd")
