//! Small constructors over `openapiv3`'s structs, so the emitters read as a description of the API.

use indexmap::IndexMap;
use openapiv3::{
    ArrayType, BooleanType, MediaType, NumberType, ObjectType, Operation, Parameter, ParameterData,
    ParameterSchemaOrContent, QueryStyle, ReferenceOr, RequestBody, Response, Responses, Schema, SchemaData,
    SchemaKind, StatusCode, StringType, Type,
};

pub const JSON: &str = "application/json";

pub fn reference(component: &str) -> ReferenceOr<Schema> {
    ReferenceOr::ref_(&format!("#/components/schemas/{component}"))
}

fn of(kind: Type) -> Schema {
    Schema { schema_data: SchemaData::default(), schema_kind: SchemaKind::Type(kind) }
}

fn boxed(schema: ReferenceOr<Schema>) -> ReferenceOr<Box<Schema>> {
    match schema {
        ReferenceOr::Item(s) => ReferenceOr::Item(Box::new(s)),
        ReferenceOr::Reference { reference } => ReferenceOr::Reference { reference },
    }
}

pub fn string() -> Schema {
    of(Type::String(StringType::default()))
}

pub fn string_enum(values: impl IntoIterator<Item = String>) -> Schema {
    of(Type::String(StringType { enumeration: values.into_iter().map(Some).collect(), ..Default::default() }))
}

pub fn binary() -> Schema {
    of(Type::String(StringType {
        format: openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Binary),
        ..Default::default()
    }))
}

pub fn number() -> Schema {
    of(Type::Number(NumberType::default()))
}

pub fn integer() -> Schema {
    of(Type::Integer(Default::default()))
}

pub fn boolean() -> Schema {
    of(Type::Boolean(BooleanType::default()))
}

/// Any JSON value, `null` included.
pub fn any() -> Schema {
    let mut s = Schema { schema_data: SchemaData::default(), schema_kind: SchemaKind::Any(Default::default()) };
    s.schema_data.nullable = true;
    s
}

pub fn array(items: ReferenceOr<Schema>) -> Schema {
    of(Type::Array(ArrayType { items: Some(boxed(items)), min_items: None, max_items: None, unique_items: false }))
}

/// An object with these properties (in order), `required` naming the ones always present.
pub fn object(properties: Vec<(String, ReferenceOr<Schema>)>, required: Vec<String>) -> Schema {
    of(Type::Object(ObjectType {
        properties: properties.into_iter().map(|(k, v)| (k, boxed(v))).collect(),
        required,
        ..Default::default()
    }))
}

pub fn one_of(variants: Vec<ReferenceOr<Schema>>) -> Schema {
    Schema { schema_data: SchemaData::default(), schema_kind: SchemaKind::OneOf { one_of: variants } }
}

pub fn describe(mut schema: Schema, description: impl Into<String>) -> Schema {
    let description = description.into();
    if !description.is_empty() {
        schema.schema_data.description = Some(description);
    }
    schema
}

pub fn example(mut schema: Schema, example: serde_json::Value) -> Schema {
    schema.schema_data.example = Some(example);
    schema
}

pub fn item(schema: Schema) -> ReferenceOr<Schema> {
    ReferenceOr::Item(schema)
}

/// `(name, inline schema)`, for [`object`].
pub fn prop(name: &str, schema: Schema) -> (String, ReferenceOr<Schema>) {
    (name.to_owned(), item(schema))
}

pub fn query(name: &str, schema: Schema, description: &str) -> ReferenceOr<Parameter> {
    ReferenceOr::Item(Parameter::Query {
        parameter_data: data(name, false, schema, description),
        allow_reserved: false,
        style: QueryStyle::Form,
        allow_empty_value: None,
    })
}

pub fn path(name: &str, description: &str) -> ReferenceOr<Parameter> {
    ReferenceOr::Item(Parameter::Path {
        parameter_data: data(name, true, string(), description),
        style: openapiv3::PathStyle::Simple,
    })
}

fn data(name: &str, required: bool, schema: Schema, description: &str) -> ParameterData {
    ParameterData {
        name: name.to_owned(),
        description: Some(description.to_owned()),
        required,
        deprecated: None,
        format: ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)),
        example: None,
        examples: IndexMap::new(),
        explode: None,
        extensions: IndexMap::new(),
    }
}

/// A request body in one or more media types, all with the same schema unless given otherwise.
pub fn body(content: Vec<(&str, ReferenceOr<Schema>)>, description: &str) -> ReferenceOr<RequestBody> {
    ReferenceOr::Item(RequestBody {
        description: Some(description.to_owned()),
        content: content.into_iter().map(|(mime, schema)| (mime.to_owned(), media(schema))).collect(),
        required: true,
        extensions: IndexMap::new(),
    })
}

pub fn media(schema: ReferenceOr<Schema>) -> MediaType {
    MediaType { schema: Some(schema), ..Default::default() }
}

/// A response with a body of one media type.
pub fn response(description: &str, mime: &str, schema: ReferenceOr<Schema>) -> ReferenceOr<Response> {
    ReferenceOr::Item(Response {
        description: description.to_owned(),
        content: [(mime.to_owned(), media(schema))].into_iter().collect(),
        ..Default::default()
    })
}

pub fn json(description: &str, schema: ReferenceOr<Schema>) -> ReferenceOr<Response> {
    response(description, JSON, schema)
}

pub fn no_content(description: &str) -> ReferenceOr<Response> {
    ReferenceOr::Item(Response { description: description.to_owned(), ..Default::default() })
}

/// PocketBase's error JSON for a status, described once in `components/responses`.
pub fn error(status: u16) -> ReferenceOr<Response> {
    ReferenceOr::ref_(&format!("#/components/responses/Error{status}"))
}

/// The success response plus PocketBase's error JSON for each status in `errors`.
pub fn responses(success: (u16, ReferenceOr<Response>), errors: &[u16]) -> Responses {
    let mut out = Responses::default();
    out.responses.insert(StatusCode::Code(success.0), success.1);
    for &status in errors {
        out.responses.insert(StatusCode::Code(status), error(status));
    }
    out
}

/// An operation in a tag with a stable id.
pub fn operation(tag: &str, id: String, summary: &str, description: String, responses: Responses) -> Operation {
    Operation {
        tags: vec![tag.to_owned()],
        summary: Some(summary.to_owned()),
        description: (!description.is_empty()).then_some(description),
        operation_id: Some(id),
        responses,
        ..Default::default()
    }
}
