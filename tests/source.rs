//! `--source DIR`: findings put on the connector's own Go code. The connector below is written
//! by the test (three builders across files; ids through a variable, a constant, a struct field
//! and a helper; the guide's `User` vs `user` bug; a `List` that returns the request's token),
//! and logs built from the SDK's real strings are mapped onto it in concise, github and SARIF.

mod common;

use std::path::Path;

use common::bl_in as bl;

const GO_MOD: &str = "module github.com/acme/baton-acme\n\ngo 1.23\n\nrequire github.com/conductorone/baton-sdk v0.25.0\n";

const RESOURCE_TYPES: &str = r#"package connector

import v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"

const typeTeam = "team"

var userResourceType = &v2.ResourceType{
	Id:          "user",
	DisplayName: "User",
	Traits:      []v2.ResourceType_Trait{v2.ResourceType_TRAIT_USER},
}

var teamResourceType = &v2.ResourceType{Id: typeTeam, DisplayName: "Team"}

func repositoryType() *v2.ResourceType {
	return &v2.ResourceType{Id: "repository", DisplayName: "Repository"}
}
"#;

const USERS: &str = r#"package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/pagination"
)

type userBuilder struct {
	client *Client
}

func (u *userBuilder) ResourceType(ctx context.Context) *v2.ResourceType {
	return userResourceType
}

func (u *userBuilder) List(ctx context.Context, parentID *v2.ResourceId, pToken *pagination.Token) ([]*v2.Resource, string, annotations.Annotations, error) {
	users, err := u.client.ListUsers(ctx, pToken.Token)
	if err != nil {
		return nil, "", nil, err
	}
	var resources []*v2.Resource
	for _, user := range users {
		resources = append(resources, userResource(user))
	}
	// BUG: hands back the token it was given.
	return resources, pToken.Token, nil, nil
}

func (u *userBuilder) Entitlements(ctx context.Context, r *v2.Resource, pToken *pagination.Token) ([]*v2.Entitlement, string, annotations.Annotations, error) {
	return nil, "", nil, nil
}

func (u *userBuilder) Grants(ctx context.Context, r *v2.Resource, pToken *pagination.Token) ([]*v2.Grant, string, annotations.Annotations, error) {
	return nil, "", nil, nil
}
"#;

const TEAMS: &str = r#"package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/pagination"
	"github.com/conductorone/baton-sdk/pkg/types/grant"
)

type teamBuilder struct {
	resourceType *v2.ResourceType
	client       *Client
}

func newTeamBuilder(c *Client) *teamBuilder {
	return &teamBuilder{resourceType: teamResourceType, client: c}
}

func (t *teamBuilder) ResourceType(ctx context.Context) *v2.ResourceType {
	return t.resourceType
}

func (t *teamBuilder) List(ctx context.Context, parentID *v2.ResourceId, pToken *pagination.Token) ([]*v2.Resource, string, annotations.Annotations, error) {
	teams, next, err := t.client.ListTeams(ctx, pToken.Token)
	if err != nil {
		return nil, "", nil, err
	}
	return teamResources(teams), next, nil, nil
}

func (t *teamBuilder) Entitlements(ctx context.Context, r *v2.Resource, pToken *pagination.Token) ([]*v2.Entitlement, string, annotations.Annotations, error) {
	return nil, "", nil, nil
}

func (t *teamBuilder) Grants(ctx context.Context, r *v2.Resource, pToken *pagination.Token) ([]*v2.Grant, string, annotations.Annotations, error) {
	members, next, err := t.client.ListMembers(ctx, r.Id.Resource, pToken.Token)
	if err != nil {
		return nil, "", nil, err
	}
	var grants []*v2.Grant
	for _, m := range members {
		// BUG: the principal type must be the synced id "user".
		principal := &v2.ResourceId{ResourceType: "User", Resource: m.ID}
		grants = append(grants, grant.NewGrant(r, "member", principal))
	}
	return grants, next, nil, nil
}
"#;

const REPOS: &str = r#"package connector

import (
	"context"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/annotations"
	"github.com/conductorone/baton-sdk/pkg/pagination"
	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
)

type repositoryBuilder struct {
	client *Client
}

func (o *repositoryBuilder) ResourceType(ctx context.Context) *v2.ResourceType {
	return repositoryType()
}

func (o *repositoryBuilder) List(ctx context.Context, parentID *v2.ResourceId, pToken *pagination.Token) ([]*v2.Resource, string, annotations.Annotations, error) {
	l := ctxzap.Extract(ctx)
	repos, next, err := o.client.ListRepos(ctx, pToken.Token)
	if err != nil {
		l.Error("failed to list repositories", zap.Error(err))
		return nil, "", nil, err
	}
	return repoResources(repos), next, nil, nil
}

func (o *repositoryBuilder) Entitlements(ctx context.Context, r *v2.Resource, pToken *pagination.Token) ([]*v2.Entitlement, string, annotations.Annotations, error) {
	return nil, "", nil, nil
}

func (o *repositoryBuilder) Grants(ctx context.Context, r *v2.Resource, pToken *pagination.Token) ([]*v2.Grant, string, annotations.Annotations, error) {
	return nil, "", nil, nil
}
"#;

/// Files the index must skip: a test file, vendored code, a generated file.
const DECOYS: &[(&str, &str)] = &[
    (
        "pkg/connector/users_test.go",
        "package connector\n\nfunc (u *fakeBuilder) ResourceType() {}\nfunc (u *fakeBuilder) List() {}\n",
    ),
    (
        "vendor/github.com/x/y/y.go",
        "package y\n\ntype b struct{}\nfunc (b) ResourceType() {}\nfunc (b) List() {}\n",
    ),
    (
        "pkg/connector/zz_generated.go",
        "// Code generated by gen. DO NOT EDIT.\n\npackage connector\n\nfunc (g *genBuilder) ResourceType() {}\nfunc (g *genBuilder) List() {}\n",
    ),
    (
        "pkg/connector/broken.go",
        "package connector\n\nfunc (b *brokenThing) ResourceType( {\n",
    ),
];

fn write_connector(dir: &Path) {
    let files: Vec<(&str, &str)> = [
        ("go.mod", GO_MOD),
        ("pkg/connector/resource_types.go", RESOURCE_TYPES),
        ("pkg/connector/users.go", USERS),
        ("pkg/connector/teams.go", TEAMS),
        ("pkg/connector/repos.go", REPOS),
    ]
    .into_iter()
    .chain(DECOYS.iter().copied())
    .collect();
    for (p, text) in files {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A log with four failures, in the SDK's words: a repeated page token (user), the `User`
/// principal type, a grant on a type without provisioner (team), and a 403 the connector
/// logged itself (its caller is repos.go).
const LOG: &str = r#"{"level":"info","ts":1755896663.409112,"caller":"sync/syncer.go:1606","msg":"Syncing resources..."}
{"level":"error","ts":1755896663.809112,"caller":"ugrpc/logging.go:38","msg":"finished unary call with code Internal","grpc.start_time":"2025-08-22T14:06:41-07:00","grpc.service":"c1.connector.v2.ResourcesService","grpc.method":"ListResources","error":"listing resources failed: next page token unchanged (token=eyJwYWdlIjoyfQ==, type=user, parent=<nil>) - likely a connector bug","grpc.code":"Internal","grpc.time_ms":211.4}
{"level":"info","ts":1764590410.2,"caller":"progresslog/progresslog.go:203","msg":"Synced resources","resource_type_id":"user","count":3}
{"level":"warn","ts":1764590410.1,"caller":"sync/ingest_invariants.go:1369","msg":"ingest invariant I9: grants reference principals with no resource row","dangling_principals":120,"refs_into_unsynced_types":120,"refs_under_synced_types":0,"attribution":"referenced resource type(s) never synced — likely disabled on the connector (config gap), not a code bug","principal_examples":["User/00u1abc","User/00u2def"]}
{"level":"error","ts":1755896664.409112,"caller":"connectorbuilder/resource_provisioner.go:77","msg":"error: resource type does not have provisioner configured","grpc.start_time":"2025-08-22T14:09:20-07:00","grpc.service":"c1.connector.v2.GrantManagerService","grpc.method":"Grant","resource_type":"team"}
{"level":"error","ts":1755896665.1,"caller":"connector/repos.go:25","msg":"failed to list repositories","error":"GET https://api.github.com/orgs/acme/repos: 403 Resource not accessible by integration []"}
"#;

fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_connector(dir.path());
    std::fs::write(dir.path().join("connector.log"), LOG).unwrap();
    dir
}

#[test]
fn explain_shows_the_builders_their_ids_and_skips_decoys() {
    let dir = setup();
    let (code, out, err) = bl(dir.path(), &["source", "--explain", "."]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!(out);
}

#[test]
fn findings_map_onto_the_go_code_in_concise_github_and_sarif() {
    let dir = setup();
    // The working directory is a connector module: found without --source.
    let (code, concise, err) = bl(
        dir.path(),
        &["--isolated", "--format", "concise", "connector.log"],
    );
    assert_eq!(code, 1, "{err}");
    insta::assert_snapshot!("concise", concise);
    let (_, github, _) = bl(
        dir.path(),
        &[
            "--isolated",
            "--format",
            "github",
            "--source",
            ".",
            "connector.log",
        ],
    );
    insta::assert_snapshot!("github", github);
    let (_, sarif, _) = bl(
        dir.path(),
        &["--isolated", "--format", "sarif", "connector.log"],
    );
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let mut placed = Vec::new();
    for r in doc["runs"][0]["results"].as_array().unwrap() {
        let loc = &r["locations"][0]["physicalLocation"];
        let related = r["relatedLocations"].as_array().unwrap();
        let log_line = related
            .iter()
            .find(|l| l["message"]["text"] == "the log line")
            .map(|l| l["physicalLocation"]["region"]["startLine"].clone());
        placed.push(format!(
            "{} {}:{} ({}) log line {:?}",
            r["ruleId"].as_str().unwrap(),
            loc["artifactLocation"]["uri"].as_str().unwrap(),
            loc["region"]["startLine"],
            r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
                .as_str()
                .unwrap_or("-"),
            log_line.map(|v| v.to_string()),
        ));
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    }
    insta::assert_snapshot!("sarif", placed.join("\n"));
    // The results on Go files still validate against the official schema (when ../shared has it).
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/schemas/sarif-schema-2.1.0.json"
    );
    match std::fs::read_to_string(schema) {
        Ok(text) => {
            let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
            let v = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft4)
                .build(&schema)
                .unwrap();
            let errors: Vec<String> = v
                .iter_errors(&doc)
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            assert!(errors.is_empty(), "{}", errors.join("\n"));
        }
        Err(_) => eprintln!(
            "SKIPPED the SARIF schema check: {schema} is absent (../shared is not beside this clone)"
        ),
    }
    // --no-source keeps every finding on the log.
    let (_, plain, _) = bl(
        dir.path(),
        &[
            "--isolated",
            "--no-source",
            "--format",
            "concise",
            "connector.log",
        ],
    );
    assert!(
        plain
            .lines()
            .filter(|l| !l.starts_with("note:"))
            .all(|l| l.starts_with("connector.log:")),
        "{plain}"
    );
}

#[test]
fn a_missing_source_dir_is_an_error_and_a_broken_file_a_notice() {
    let dir = setup();
    let (code, _, err) = bl(
        dir.path(),
        &["--isolated", "--source", "nope", "connector.log"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--source nope"), "{err}");
    let (_, out, err) = bl(
        dir.path(),
        &["--isolated", "--format", "concise", "connector.log"],
    );
    assert!((out + &err).contains("broken.go: has Go syntax errors"));
}
