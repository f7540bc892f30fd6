//! The in-memory form of the type catalogue: what the three emitters read.

/// The shape of a value, before nullability.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    String,
    Int,
    Number,
    Bool,
    /// Any JSON value.
    Any,
    /// A free-form JSON object.
    Object,
    /// An inline union of string literals; `open` adds "any other string".
    Literal {
        values: Vec<String>,
        open: bool,
    },
    /// A named enum, object or input of the catalogue, or a type parameter.
    Ref(String),
    List(Box<Ty>),
    /// A JSON object with arbitrary keys and values of one type.
    Map(Box<Ty>),
}

/// One member of an object or input.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The JSON key, exactly as on the wire.
    pub wire: String,
    pub ty: Ty,
    /// `null` is a valid value.
    pub nullable: bool,
    /// The key is always present (objects) or must be sent (inputs).
    pub required: bool,
    pub doc: String,
}

/// What a type is used for; it decides optionality and serialization rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Returned by the server.
    Object,
    /// Sent by the caller.
    Input,
    /// Sent by the caller as a partial update: an explicit `null` clears a field, so
    /// "absent" and "null" must stay distinguishable.
    Patch,
}

impl Kind {
    pub fn is_input(self) -> bool {
        matches!(self, Kind::Input | Kind::Patch)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeDef {
    pub name: String,
    /// Type parameters (`ListResponse<T>`).
    pub params: Vec<String>,
    pub kind: Kind,
    pub doc: String,
    pub fields: Vec<Field>,
    /// In Rust the type already exists elsewhere in the crate and is re-exported
    /// instead of generated (`crate::sse::SseEvent`).
    pub rust_path: Option<String>,
    /// Catalogue file and line, for error messages.
    pub origin: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EnumDef {
    pub name: String,
    pub values: Vec<String>,
    /// The server may add values (an *open* enumeration, docs/api/types.md).
    pub open: bool,
    pub doc: String,
}

/// The whole catalogue, in declaration order.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    pub enums: Vec<EnumDef>,
    pub types: Vec<TypeDef>,
}

impl Catalogue {
    pub fn enum_def(&self, name: &str) -> Option<&EnumDef> {
        self.enums.iter().find(|e| e.name == name)
    }

    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        self.types.iter().find(|t| t.name == name)
    }

    /// Whether `expr` (`"Agent"`, `"ListResponse<Agent>"`) names catalogue types with the
    /// right number of type arguments.
    pub fn resolves(&self, expr: &str) -> bool {
        let expr = expr.trim();
        let (head, args) = match expr.find('<') {
            Some(i) if expr.ends_with('>') => (&expr[..i], Some(&expr[i + 1..expr.len() - 1])),
            Some(_) => return false,
            None => (expr, None),
        };
        if let Some(e) = self.enum_def(head) {
            return args.is_none() && !e.name.is_empty();
        }
        let Some(def) = self.type_def(head) else { return false };
        match args {
            None => true,
            Some(args) => {
                let args: Vec<&str> = args.split(',').collect();
                args.len() == def.params.len() && args.iter().all(|a| self.resolves(a))
            }
        }
    }
}
