//! Schemas as data (RFC 7643 §7 and §8.7): attribute definitions with their characteristics,
//! the built-in schemas, and resolution of attribute paths against a resource type.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::path::AttrPath;

pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const BRIDGE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:User";
pub const BRIDGE_GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:scimbridge:2.0:Group";

/// The data type of an attribute (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttrType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

/// RFC 7643 §7 `mutability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    ReadOnly,
    ReadWrite,
    Immutable,
    WriteOnly,
}

/// RFC 7643 §7 `returned`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    Always,
    Never,
    Default,
    Request,
}

/// RFC 7643 §7 `uniqueness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    None,
    Server,
    Global,
}

/// One attribute definition, serialized exactly as `/Schemas` publishes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttributeDef {
    pub name: String,
    #[serde(rename = "type")]
    pub attr_type: AttrType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<AttributeDef>,
    pub multi_valued: bool,
    pub description: String,
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
    pub uniqueness: Uniqueness,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
}

impl AttributeDef {
    /// The sub-attribute called `name`, matched case-insensitively.
    pub fn sub(&self, name: &str) -> Option<&AttributeDef> {
        self.sub_attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The canonical value equal to `value` ignoring case, if this attribute restricts values.
    pub fn canonical(&self, value: &str) -> Option<&str> {
        self.canonical_values
            .iter()
            .find(|c| c.eq_ignore_ascii_case(value))
            .map(String::as_str)
    }
}

/// A schema resource (RFC 7643 §7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    pub id: String,
    pub name: String,
    pub description: String,
    pub attributes: Vec<AttributeDef>,
}

impl Schema {
    /// The top-level attribute called `name`, matched case-insensitively.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        self.attributes
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The `/Schemas/{id}` representation, with `schemas` and `meta`.
    pub fn to_resource(&self, location: &str) -> Value {
        let mut body = Map::new();
        body.insert("schemas".into(), Value::from(vec![SCHEMA_SCHEMA]));
        if let Ok(Value::Object(fields)) = serde_json::to_value(self) {
            body.extend(fields);
        }
        body.insert(
            "meta".into(),
            serde_json::json!({"resourceType": "Schema", "location": location}),
        );
        Value::Object(body)
    }
}

/// An extension schema attached to a resource type.
#[derive(Debug, Clone, PartialEq)]
pub struct Extension {
    pub schema: Schema,
    pub required: bool,
}

/// A resource type with its core schema and extensions: what validation, filtering, PATCH
/// and projection resolve attribute paths against.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSchema {
    /// `User` or `Group`.
    pub name: &'static str,
    /// `/Users` or `/Groups`.
    pub endpoint: &'static str,
    pub description: &'static str,
    /// The RFC 7643 §3.1 common attributes (`id`, `externalId`, `meta`), which belong to
    /// every resource but to no published schema.
    pub common: Vec<AttributeDef>,
    pub core: Schema,
    pub extensions: Vec<Extension>,
}

/// What an attribute path names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target<'s> {
    /// A whole extension schema (`urn:...:enterprise:2.0:User`).
    Extension(&'s Schema),
    /// An attribute, possibly with a sub-attribute.
    Attribute(Resolved<'s>),
}

/// An attribute path resolved against a resource type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolved<'s> {
    /// `None` for core and common attributes (stored at the top level of a resource);
    /// the extension schema otherwise (stored under its URN).
    pub extension: Option<&'s Schema>,
    pub attr: &'s AttributeDef,
    pub sub: Option<&'s AttributeDef>,
}

impl<'s> Resolved<'s> {
    /// The attribute definition the path ends at: the sub-attribute if any.
    pub fn leaf(&self) -> &'s AttributeDef {
        self.sub.unwrap_or(self.attr)
    }

    /// The canonical path text: core attributes unqualified, extension attributes with
    /// their URN, names in the schema's case.
    pub fn canonical_path(&self) -> String {
        let mut out = String::new();
        if let Some(ext) = self.extension {
            out.push_str(&ext.id);
            out.push(':');
        }
        out.push_str(&self.attr.name);
        if let Some(sub) = self.sub {
            out.push('.');
            out.push_str(&sub.name);
        }
        out
    }

    /// The object holding this attribute inside a resource: the resource itself for core
    /// attributes, the extension object for extension attributes.
    pub fn container<'v>(
        &self,
        resource: &'v Map<String, Value>,
    ) -> Option<&'v Map<String, Value>> {
        match self.extension {
            None => Some(resource),
            Some(ext) => resource.get(&ext.id).and_then(Value::as_object),
        }
    }

    /// The attribute's value in a resource whose keys are canonical (as validation leaves
    /// them). The sub-attribute, if any, is not applied.
    pub fn value<'v>(&self, resource: &'v Map<String, Value>) -> Option<&'v Value> {
        self.container(resource)?.get(&self.attr.name)
    }
}

impl ResourceSchema {
    /// The extension with this URN (case-insensitive).
    pub fn extension(&self, urn: &str) -> Option<&Extension> {
        self.extensions
            .iter()
            .find(|e| e.schema.id.eq_ignore_ascii_case(urn))
    }

    /// Every schema URN this resource type knows: the core schema first.
    pub fn schema_ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.core.id.as_str())
            .chain(self.extensions.iter().map(|e| e.schema.id.as_str()))
    }

    /// Resolves a path case-insensitively. An unqualified name is looked up in the common
    /// attributes, then the core schema, then each extension in order (clients are lenient
    /// about qualifying extension attributes). Returns `None` for attributes this resource
    /// type does not define.
    pub fn resolve(&self, path: &AttrPath) -> Option<Target<'_>> {
        match &path.urn {
            Some(urn) => {
                if path.sub_attr.is_none() {
                    if let Some(full) = path.full_urn() {
                        if let Some(ext) = self.extension(&full) {
                            return Some(Target::Extension(&ext.schema));
                        }
                    }
                }
                if urn.eq_ignore_ascii_case(&self.core.id) {
                    let attr = self.common_or_core(&path.name)?;
                    return self.with_sub(None, attr, path).map(Target::Attribute);
                }
                let ext = self.extension(urn)?;
                let attr = ext.schema.attribute(&path.name)?;
                self.with_sub(Some(&ext.schema), attr, path)
                    .map(Target::Attribute)
            }
            None => {
                if let Some(attr) = self.common_or_core(&path.name) {
                    return self.with_sub(None, attr, path).map(Target::Attribute);
                }
                self.extensions.iter().find_map(|ext| {
                    let attr = ext.schema.attribute(&path.name)?;
                    self.with_sub(Some(&ext.schema), attr, path)
                        .map(Target::Attribute)
                })
            }
        }
    }

    /// Resolves a path that must name an attribute (not a whole extension).
    pub fn resolve_attribute(&self, path: &AttrPath) -> Option<Resolved<'_>> {
        match self.resolve(path)? {
            Target::Attribute(r) => Some(r),
            Target::Extension(_) => None,
        }
    }

    /// A top-level attribute: common first, then core.
    pub fn common_or_core(&self, name: &str) -> Option<&AttributeDef> {
        self.common
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .or_else(|| self.core.attribute(name))
    }

    fn with_sub<'s>(
        &'s self,
        extension: Option<&'s Schema>,
        attr: &'s AttributeDef,
        path: &AttrPath,
    ) -> Option<Resolved<'s>> {
        let sub = match &path.sub_attr {
            Some(name) => Some(attr.sub(name)?),
            None => None,
        };
        Some(Resolved {
            extension,
            attr,
            sub,
        })
    }
}

/// The User resource type: core User, enterprise extension, scimbridge extension.
pub fn user() -> &'static ResourceSchema {
    static USER: LazyLock<ResourceSchema> = LazyLock::new(|| ResourceSchema {
        name: "User",
        endpoint: "/Users",
        description: "User Account",
        common: defs::common(),
        core: defs::user(),
        extensions: vec![
            Extension {
                schema: defs::enterprise_user(),
                required: false,
            },
            Extension {
                schema: defs::bridge_user(),
                required: false,
            },
        ],
    });
    &USER
}

/// The Group resource type: core Group and the scimbridge Group extension.
pub fn group() -> &'static ResourceSchema {
    static GROUP: LazyLock<ResourceSchema> = LazyLock::new(|| ResourceSchema {
        name: "Group",
        endpoint: "/Groups",
        description: "Group",
        common: defs::common(),
        core: defs::group(),
        extensions: vec![Extension {
            schema: defs::bridge_group(),
            required: false,
        }],
    });
    &GROUP
}

/// Every published schema, for `/Schemas`.
pub fn all_schemas() -> Vec<&'static Schema> {
    [user(), group()]
        .into_iter()
        .flat_map(|rt| std::iter::once(&rt.core).chain(rt.extensions.iter().map(|e| &e.schema)))
        .collect()
}

/// The definitions of RFC 7643 §8.7.1 and §8.7.2 and of the scimbridge extensions, written
/// with a small builder whose defaults are the RFC's (§2.2: readWrite, returned default,
/// uniqueness none, caseExact false, not required).
mod defs {
    use super::*;

    struct A(AttributeDef);

    fn attr(name: &str, attr_type: AttrType, description: &str) -> A {
        A(AttributeDef {
            name: name.into(),
            attr_type,
            sub_attributes: Vec::new(),
            multi_valued: false,
            description: description.into(),
            required: false,
            canonical_values: Vec::new(),
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            reference_types: Vec::new(),
        })
    }

    fn string(name: &str, description: &str) -> A {
        attr(name, AttrType::String, description)
    }

    fn boolean(name: &str, description: &str) -> A {
        attr(name, AttrType::Boolean, description)
    }

    fn complex(name: &str, description: &str, subs: Vec<A>) -> A {
        let mut a = attr(name, AttrType::Complex, description);
        a.0.sub_attributes = subs.into_iter().map(|s| s.0).collect();
        a
    }

    fn reference(name: &str, types: &[&str], description: &str) -> A {
        let mut a = attr(name, AttrType::Reference, description);
        a.0.reference_types = types.iter().map(|t| (*t).to_owned()).collect();
        a
    }

    impl A {
        fn multi(mut self) -> A {
            self.0.multi_valued = true;
            self
        }
        fn required(mut self) -> A {
            self.0.required = true;
            self
        }
        fn case_exact(mut self) -> A {
            self.0.case_exact = true;
            self
        }
        fn mutability(mut self, m: Mutability) -> A {
            self.0.mutability = m;
            self
        }
        fn read_only(self) -> A {
            self.mutability(Mutability::ReadOnly)
        }
        fn returned(mut self, r: Returned) -> A {
            self.0.returned = r;
            self
        }
        fn unique(mut self, u: Uniqueness) -> A {
            self.0.uniqueness = u;
            self
        }
        fn canonical(mut self, values: &[&str]) -> A {
            self.0.canonical_values = values.iter().map(|v| (*v).to_owned()).collect();
            self
        }
    }

    fn schema(id: &str, name: &str, description: &str, attributes: Vec<A>) -> Schema {
        Schema {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            attributes: attributes.into_iter().map(|a| a.0).collect(),
        }
    }

    /// The sub-attributes shared by the RFC's plural attributes (§2.4).
    fn plural(name: &str, description: &str, value: A, types: &[&str]) -> A {
        complex(
            name,
            description,
            vec![
                value,
                string(
                    "display",
                    "A human-readable name, primarily used for display purposes.",
                ),
                string("type", "A label indicating the attribute's function.").canonical(types),
                boolean(
                    "primary",
                    "Indicates the primary or preferred value; 'true' appears no more than once.",
                ),
            ],
        )
        .multi()
    }

    pub(super) fn common() -> Vec<AttributeDef> {
        [
            string(
                "id",
                "Unique identifier for the resource, assigned by the service provider.",
            )
            .case_exact()
            .read_only()
            .returned(Returned::Always)
            .unique(Uniqueness::Server),
            string(
                "externalId",
                "Identifier of the resource as defined by the provisioning client.",
            )
            .case_exact(),
            complex(
                "meta",
                "Resource metadata.",
                vec![
                    string("resourceType", "The name of the resource type.")
                        .case_exact()
                        .read_only(),
                    attr(
                        "created",
                        AttrType::DateTime,
                        "When the resource was added.",
                    )
                    .read_only(),
                    attr(
                        "lastModified",
                        AttrType::DateTime,
                        "When the resource was last changed.",
                    )
                    .read_only(),
                    reference("location", &["uri"], "The URI of the resource.")
                        .case_exact()
                        .read_only(),
                    string("version", "The version (weak ETag) of the resource.")
                        .case_exact()
                        .read_only(),
                ],
            )
            .read_only(),
        ]
        .into_iter()
        .map(|a| a.0)
        .collect()
    }

    pub(super) fn user() -> Schema {
        schema(
            USER_SCHEMA,
            "User",
            "User Account",
            vec![
                string(
                    "userName",
                    "Unique identifier for the User, used to sign in. REQUIRED.",
                )
                .required()
                .unique(Uniqueness::Server),
                complex(
                    "name",
                    "The components of the user's real name.",
                    vec![
                        string("formatted", "The full name, formatted for display."),
                        string("familyName", "The family name of the User."),
                        string("givenName", "The given name of the User."),
                        string("middleName", "The middle name(s) of the User."),
                        string("honorificPrefix", "The honorific prefix(es) of the User."),
                        string("honorificSuffix", "The honorific suffix(es) of the User."),
                    ],
                ),
                string(
                    "displayName",
                    "The name of the User, suitable for display to end-users.",
                ),
                string(
                    "nickName",
                    "The casual way to address the user in real life.",
                ),
                reference(
                    "profileUrl",
                    &["external"],
                    "A URL of the User's online profile.",
                ),
                string("title", "The user's title, such as \"Vice President.\""),
                string(
                    "userType",
                    "The relationship between the organization and the user.",
                ),
                string(
                    "preferredLanguage",
                    "The User's preferred written or spoken language.",
                ),
                string("locale", "The User's default location for localisation."),
                string("timezone", "The User's time zone in the 'Olson' format."),
                boolean("active", "The User's administrative status."),
                string("password", "The User's cleartext password, never returned.")
                    .mutability(Mutability::WriteOnly)
                    .returned(Returned::Never),
                plural(
                    "emails",
                    "Email addresses for the user.",
                    string("value", "Email address for the user."),
                    &["work", "home", "other"],
                ),
                plural(
                    "phoneNumbers",
                    "Phone numbers for the User.",
                    string("value", "Phone number of the User."),
                    &["work", "home", "mobile", "fax", "pager", "other"],
                ),
                plural(
                    "ims",
                    "Instant messaging addresses for the User.",
                    string("value", "Instant messaging address for the User."),
                    &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
                ),
                plural(
                    "photos",
                    "URLs of photos of the User.",
                    reference("value", &["external"], "URL of a photo of the User."),
                    &["photo", "thumbnail"],
                ),
                complex(
                    "addresses",
                    "A physical mailing address for this User.",
                    vec![
                        string(
                            "formatted",
                            "The full mailing address, formatted for display.",
                        ),
                        string("streetAddress", "The full street address component."),
                        string("locality", "The city or locality component."),
                        string("region", "The state or region component."),
                        string("postalCode", "The zip code or postal code component."),
                        string("country", "The country name component."),
                        string("type", "A label indicating the attribute's function.")
                            .canonical(&["work", "home", "other"]),
                        boolean("primary", "Indicates the primary mailing address."),
                    ],
                )
                .multi(),
                complex(
                    "groups",
                    "Groups to which the user belongs; derived from Group membership.",
                    vec![
                        string("value", "The identifier of the User's group.").read_only(),
                        reference("$ref", &["User", "Group"], "The URI of the Group resource.")
                            .read_only(),
                        string("display", "A human-readable name of the group.").read_only(),
                        string("type", "How the membership was derived.")
                            .canonical(&["direct", "indirect"])
                            .read_only(),
                    ],
                )
                .multi()
                .read_only(),
                plural(
                    "entitlements",
                    "A list of entitlements for the User.",
                    string("value", "The value of an entitlement."),
                    &[],
                ),
                plural(
                    "roles",
                    "A list of roles for the User.",
                    string("value", "The value of a role."),
                    &[],
                ),
                plural(
                    "x509Certificates",
                    "A list of certificates issued to the User.",
                    attr(
                        "value",
                        AttrType::Binary,
                        "The value of an X.509 certificate.",
                    ),
                    &[],
                ),
            ],
        )
    }

    pub(super) fn group() -> Schema {
        schema(
            GROUP_SCHEMA,
            "Group",
            "Group",
            vec![
                string(
                    "displayName",
                    "A human-readable name for the Group. REQUIRED.",
                )
                .required()
                .unique(Uniqueness::Server),
                complex(
                    "members",
                    "A list of members of the Group.",
                    vec![
                        string("value", "Identifier of the member of this Group.")
                            .case_exact()
                            .mutability(Mutability::Immutable),
                        reference(
                            "$ref",
                            &["User", "Group"],
                            "The URI of the member resource.",
                        )
                        .mutability(Mutability::Immutable),
                        string("display", "A human-readable name of the member."),
                        string("type", "The type of the member.")
                            .canonical(&["User", "Group"])
                            .mutability(Mutability::Immutable),
                    ],
                )
                .multi(),
            ],
        )
    }

    pub(super) fn enterprise_user() -> Schema {
        schema(
            ENTERPRISE_USER_SCHEMA,
            "EnterpriseUser",
            "Enterprise User",
            vec![
                string(
                    "employeeNumber",
                    "A string identifier assigned by the organization.",
                ),
                string("costCenter", "Identifies the name of a cost center."),
                string("organization", "Identifies the name of an organization."),
                string("division", "Identifies the name of a division."),
                string("department", "Identifies the name of a department."),
                complex(
                    "manager",
                    "The User's manager.",
                    vec![
                        string(
                            "value",
                            "The id of the SCIM resource representing the manager.",
                        )
                        .case_exact(),
                        reference("$ref", &["User"], "The URI of the manager's User resource."),
                        string("displayName", "The displayName of the User's manager.").read_only(),
                    ],
                ),
            ],
        )
    }

    fn sync_attributes() -> Vec<A> {
        vec![
            string(
                "syncState",
                "Whether the vendor account matches this resource.",
            )
            .case_exact()
            .canonical(&["pending", "synced", "failed"])
            .read_only(),
            string("vendorId", "The account's identifier at the vendor.")
                .case_exact()
                .read_only(),
            attr(
                "lastSyncedAt",
                AttrType::DateTime,
                "When the vendor last matched this resource.",
            )
            .read_only(),
            string("lastError", "Why the last reconcile failed, if it did.").read_only(),
        ]
    }

    pub(super) fn bridge_user() -> Schema {
        let mut attributes = vec![
            string(
                "role",
                "The vendor role to grant; overrides the app's group mapping.",
            ),
            string(
                "license",
                "The vendor seat or license type; overrides the group mapping.",
            ),
            string("team", "The vendor team; overrides the group mapping."),
            attr(
                "creditLimit",
                AttrType::Integer,
                "Per-user credit cap, where the vendor has one.",
            ),
            string("features", "Vendor feature toggles to enable.").multi(),
        ];
        attributes.extend(sync_attributes());
        schema(
            BRIDGE_USER_SCHEMA,
            "ScimbridgeUser",
            "scimbridge access and sync state of a User",
            attributes,
        )
    }

    pub(super) fn bridge_group() -> Schema {
        schema(
            BRIDGE_GROUP_SCHEMA,
            "ScimbridgeGroup",
            "scimbridge sync state of a Group",
            sync_attributes(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> AttrPath {
        AttrPath::parse(s).unwrap()
    }

    #[test]
    fn resolution_is_case_insensitive_and_canonicalises() {
        let r = user().resolve_attribute(&path("USERNAME")).unwrap();
        assert_eq!(r.canonical_path(), "userName");
        let r = user().resolve_attribute(&path("name.FAMILYNAME")).unwrap();
        assert_eq!(r.canonical_path(), "name.familyName");
        let r = user()
            .resolve_attribute(&path(
                "urn:ietf:params:scim:schemas:core:2.0:User:emails.value",
            ))
            .unwrap();
        assert_eq!(r.canonical_path(), "emails.value");
        let r = user()
            .resolve_attribute(&path("meta.lastModified"))
            .unwrap();
        assert_eq!(r.leaf().attr_type, AttrType::DateTime);
    }

    #[test]
    fn extension_attributes_resolve_qualified_or_not() {
        let q = user()
            .resolve_attribute(&path(
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            ))
            .unwrap();
        let u = user().resolve_attribute(&path("manager.value")).unwrap();
        assert_eq!(q, u);
        assert_eq!(
            q.canonical_path(),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"
        );
        assert!(matches!(
            user().resolve(&path(ENTERPRISE_USER_SCHEMA)),
            Some(Target::Extension(s)) if s.id == ENTERPRISE_USER_SCHEMA
        ));
    }

    #[test]
    fn unknown_attributes_do_not_resolve() {
        assert!(user().resolve(&path("shoeSize")).is_none());
        assert!(user().resolve(&path("name.shoeSize")).is_none());
        assert!(group().resolve(&path("userName")).is_none());
        assert!(
            user()
                .resolve(&path("urn:example:ext:1.0:User:x"))
                .is_none()
        );
    }

    #[test]
    fn rfc_characteristics_are_carried() {
        let u = user();
        let password = u.core.attribute("password").unwrap();
        assert_eq!(password.mutability, Mutability::WriteOnly);
        assert_eq!(password.returned, Returned::Never);
        let id = u.common_or_core("id").unwrap();
        assert_eq!(
            (id.mutability, id.returned),
            (Mutability::ReadOnly, Returned::Always)
        );
        assert!(u.core.attribute("userName").unwrap().required);
        let emails = u.core.attribute("emails").unwrap();
        assert!(emails.multi_valued);
        assert_eq!(emails.sub("TYPE").unwrap().canonical("Work"), Some("work"));
        assert_eq!(
            group()
                .core
                .attribute("members")
                .unwrap()
                .sub("value")
                .unwrap()
                .mutability,
            Mutability::Immutable
        );
    }

    #[test]
    fn schemas_publish_in_rfc_form() {
        let v = user()
            .core
            .to_resource("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User");
        assert_eq!(v["schemas"][0], SCHEMA_SCHEMA);
        assert_eq!(v["id"], USER_SCHEMA);
        let user_name = &v["attributes"][0];
        assert_eq!(user_name["name"], "userName");
        assert_eq!(user_name["type"], "string");
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["multiValued"], false);
        assert_eq!(all_schemas().len(), 5);
    }
}
