//! Reader of the catalogue notation (see `catalogue/README.md` for the grammar).
//!
//! The notation is a small, line-oriented language close to a reference table, so
//! a type can be checked against `docs/api/types.md` by eye. Errors name the file and line.

use super::model::{Catalogue, EnumDef, Field, Kind, Ty, TypeDef};

/// Parses the catalogue files in order; later files may refer to earlier types and
/// vice versa (references are checked once everything is read).
pub fn parse_catalogue(files: &[(&str, &str)]) -> Result<Catalogue, String> {
    let mut cat = Catalogue::default();
    for (file, text) in files {
        parse_file(&mut cat, file, text)?;
    }
    validate(&cat)?;
    Ok(cat)
}

struct Pending {
    def: TypeDef,
}

fn parse_file(cat: &mut Catalogue, file: &str, text: &str) -> Result<(), String> {
    let mut doc: Vec<String> = Vec::new();
    let mut rust_path: Option<String> = None;
    let mut open: Option<Pending> = None;
    for (index, raw) in text.lines().enumerate() {
        let at = format!("{file}:{}", index + 1);
        let line = raw.trim();
        let fail = |msg: String| format!("{at}: {msg}\n    {line}");
        if line.is_empty() || (line.starts_with('#')) {
            continue;
        }
        if let Some(rest) = line.strip_prefix("///") {
            doc.push(rest.trim().to_string());
            continue;
        }
        if let Some(pending) = open.as_mut() {
            if line == "}" {
                let def = open.take().unwrap().def;
                if cat.type_def(&def.name).is_some() || cat.enum_def(&def.name).is_some() {
                    return Err(fail(format!("`{}` is declared twice", def.name)));
                }
                cat.types.push(def);
                continue;
            }
            let field = parse_field(line, take_doc(&mut doc)).map_err(fail)?;
            let fields = &mut pending.def.fields;
            // A field of the type itself overrides one inherited from its base.
            fields.retain(|f| f.wire != field.wire);
            fields.push(field);
            continue;
        }
        if let Some(rest) = line.strip_prefix("@rust ") {
            rust_path = Some(rest.trim().to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("enum ") {
            if rust_path.is_some() {
                return Err(fail("`@rust` applies to an object or input, not to an enum".into()));
            }
            let def = parse_enum(rest, take_doc(&mut doc)).map_err(fail)?;
            if cat.type_def(&def.name).is_some() || cat.enum_def(&def.name).is_some() {
                return Err(fail(format!("`{}` is declared twice", def.name)));
            }
            cat.enums.push(def);
            continue;
        }
        let kind = match line.split_whitespace().next() {
            Some("object") => Kind::Object,
            Some("input") => Kind::Input,
            Some("patch") => Kind::Patch,
            _ => return Err(fail("expected `enum`, `object`, `input`, `patch`, a `///` doc line or `}`".into())),
        };
        let header = line.split_once(char::is_whitespace).map(|(_, r)| r.trim()).unwrap_or("");
        let (header, closed) = if let Some(h) = header.strip_suffix("{}") {
            (h.trim(), true)
        } else if let Some(h) = header.strip_suffix('{') {
            (h.trim(), false)
        } else {
            return Err(fail("a type header ends with `{`".into()));
        };
        let def = parse_header(cat, kind, header, take_doc(&mut doc), rust_path.take(), &at).map_err(fail)?;
        if closed {
            if cat.type_def(&def.name).is_some() || cat.enum_def(&def.name).is_some() {
                return Err(fail(format!("`{}` is declared twice", def.name)));
            }
            cat.types.push(def);
        } else {
            open = Some(Pending { def });
        }
    }
    if let Some(p) = open {
        return Err(format!("{file}: type `{}` is not closed with `}}`", p.def.name));
    }
    Ok(())
}

fn take_doc(doc: &mut Vec<String>) -> String {
    let text = doc.join("\n");
    doc.clear();
    text
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `Name [open] = "A" | "B" | …`
fn parse_enum(rest: &str, doc: String) -> Result<EnumDef, String> {
    let (head, values) = rest.split_once('=').ok_or("an enum is written `enum Name = \"A\" | \"B\"`")?;
    let mut words = head.split_whitespace();
    let name = words.next().ok_or("the enum has no name")?.to_string();
    if !is_ident(&name) {
        return Err(format!("`{name}` is not a valid type name"));
    }
    let open = match words.next() {
        None => false,
        Some("open") => true,
        Some(other) => return Err(format!("unexpected `{other}` after the enum name (only `open` is allowed)")),
    };
    let (ty, nullable) = parse_type(values)?;
    match ty {
        Ty::Literal { values, open: false } if !nullable => Ok(EnumDef { name, values, open, doc }),
        _ => Err("an enum lists string literals only (write `open` to allow other strings)".into()),
    }
}

/// `Name[<T, U>] [: [partial|required] Base [without a, b | only a, b]]`
fn parse_header(
    cat: &Catalogue,
    kind: Kind,
    header: &str,
    doc: String,
    rust_path: Option<String>,
    at: &str,
) -> Result<TypeDef, String> {
    let (name_part, base_part) = match header.split_once(':') {
        Some((n, b)) => (n.trim(), Some(b.trim())),
        None => (header.trim(), None),
    };
    let (name, params) = match name_part.split_once('<') {
        Some((n, p)) => {
            let p = p.strip_suffix('>').ok_or("type parameters are written `Name<T>`")?;
            let params: Vec<String> = p.split(',').map(|s| s.trim().to_string()).collect();
            if params.iter().any(|p| !is_ident(p)) {
                return Err(format!("bad type parameter list `<{p}>`"));
            }
            (n.trim().to_string(), params)
        }
        None => (name_part.to_string(), Vec::new()),
    };
    if !is_ident(&name) || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Err(format!("`{name}` is not a valid type name (UpperCamelCase)"));
    }
    let mut fields = Vec::new();
    if let Some(base_part) = base_part {
        let mut words = base_part.split_whitespace().peekable();
        let modifier = match words.peek() {
            Some(&m) if m == "partial" || m == "required" => {
                words.next();
                Some(m)
            }
            _ => None,
        };
        let base_name = words.next().ok_or("`:` must be followed by a base type")?;
        let base =
            cat.type_def(base_name).ok_or(format!("base type `{base_name}` must be declared before `{name}`"))?;
        fields = base.fields.clone();
        if let Some(m) = modifier {
            for f in &mut fields {
                f.required = m == "required";
            }
        }
        let rest: Vec<&str> = words.collect();
        if let Some((mode, list)) = rest.split_first() {
            let names: Vec<String> =
                list.join(" ").split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            for n in &names {
                if !fields.iter().any(|f| &f.wire == n) {
                    return Err(format!("`{base_name}` has no field `{n}`"));
                }
            }
            match *mode {
                "without" => fields.retain(|f| !names.contains(&f.wire)),
                "only" => fields.retain(|f| names.contains(&f.wire)),
                other => return Err(format!("expected `without` or `only`, found `{other}`")),
            }
        }
    }
    Ok(TypeDef { name, params, kind, doc, fields, rust_path, origin: at.to_string() })
}

/// `wire[?]: type [// doc]`
fn parse_field(line: &str, mut doc: String) -> Result<Field, String> {
    let (decl, trailing) = match line.find("//") {
        Some(i) => (&line[..i], Some(line[i + 2..].trim())),
        None => (line, None),
    };
    if let Some(t) = trailing.filter(|t| !t.is_empty()) {
        if !doc.is_empty() {
            doc.push('\n');
        }
        doc.push_str(t);
    }
    let (name, ty) = decl.split_once(':').ok_or("a field is written `name: type` or `name?: type`")?;
    let name = name.trim();
    let (wire, required) = match name.strip_suffix('?') {
        Some(n) => (n.trim(), false),
        None => (name, true),
    };
    if !is_ident(wire) {
        return Err(format!("`{wire}` is not a valid field name"));
    }
    let (ty, nullable) = parse_type(ty)?;
    Ok(Field { wire: wire.to_string(), ty, nullable, required, doc })
}

#[derive(Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Pipe,
    Brackets,
    Lt,
    Gt,
    LParen,
    RParen,
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '|' => {
                chars.next();
                out.push(Tok::Pipe);
            }
            '<' => {
                chars.next();
                out.push(Tok::Lt);
            }
            '>' => {
                chars.next();
                out.push(Tok::Gt);
            }
            '(' => {
                chars.next();
                out.push(Tok::LParen);
            }
            ')' => {
                chars.next();
                out.push(Tok::RParen);
            }
            '[' => {
                chars.next();
                if chars.next() != Some(']') {
                    return Err("`[` must be followed by `]`".into());
                }
                out.push(Tok::Brackets);
            }
            '"' => {
                chars.next();
                let mut lit = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(c) => lit.push(c),
                        None => return Err("unterminated string literal".into()),
                    }
                }
                out.push(Tok::Str(lit));
            }
            c if c.is_ascii_alphanumeric() || c == '_' => {
                let mut id = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_ascii_alphanumeric() || c == '_' {
                        id.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Tok::Ident(id));
            }
            other => return Err(format!("unexpected character `{other}` in a type")),
        }
    }
    Ok(out)
}

/// Parses a type expression; returns the type and whether `null` is a member.
pub fn parse_type(s: &str) -> Result<(Ty, bool), String> {
    let toks = tokenize(s)?;
    let mut pos = 0;
    let out = union(&toks, &mut pos)?;
    if pos != toks.len() {
        return Err(format!("unexpected `{:?}` in type `{}`", toks[pos], s.trim()));
    }
    Ok(out)
}

enum Member {
    Null,
    Lit(String),
    Ty(Ty),
}

fn union(toks: &[Tok], pos: &mut usize) -> Result<(Ty, bool), String> {
    let mut members = vec![postfix(toks, pos)?];
    while toks.get(*pos) == Some(&Tok::Pipe) {
        *pos += 1;
        members.push(postfix(toks, pos)?);
    }
    let mut nullable = false;
    let mut lits = Vec::new();
    let mut others = Vec::new();
    for m in members {
        match m {
            Member::Null => nullable = true,
            Member::Lit(l) => lits.push(l),
            Member::Ty(t) => others.push(t),
        }
    }
    let ty = match (lits.is_empty(), others.as_slice()) {
        (true, [one]) => one.clone(),
        (false, []) => Ty::Literal { values: lits, open: false },
        (false, [Ty::String]) => Ty::Literal { values: lits, open: true },
        (true, []) => return Err("`null` alone is not a type".into()),
        _ => return Err("a union is `T | null`, or string literals (optionally `| string`)".into()),
    };
    Ok((ty, nullable))
}

fn postfix(toks: &[Tok], pos: &mut usize) -> Result<Member, String> {
    let mut m = primary(toks, pos)?;
    while toks.get(*pos) == Some(&Tok::Brackets) {
        *pos += 1;
        m = match m {
            Member::Ty(t) => Member::Ty(Ty::List(Box::new(t))),
            Member::Lit(l) => Member::Ty(Ty::List(Box::new(Ty::Literal { values: vec![l], open: false }))),
            Member::Null => return Err("`null[]` is not a type".into()),
        };
    }
    Ok(m)
}

fn primary(toks: &[Tok], pos: &mut usize) -> Result<Member, String> {
    let tok = toks.get(*pos).ok_or("a type is missing")?;
    *pos += 1;
    match tok {
        Tok::Str(l) => Ok(Member::Lit(l.clone())),
        Tok::LParen => {
            let (ty, nullable) = union(toks, pos)?;
            if toks.get(*pos) != Some(&Tok::RParen) {
                return Err("missing `)`".into());
            }
            *pos += 1;
            if nullable {
                return Err("`null` is only allowed at the top of a field type".into());
            }
            Ok(Member::Ty(ty))
        }
        Tok::Ident(id) => Ok(match id.as_str() {
            "null" => Member::Null,
            "string" => Member::Ty(Ty::String),
            "int" => Member::Ty(Ty::Int),
            "number" => Member::Ty(Ty::Number),
            "bool" => Member::Ty(Ty::Bool),
            "any" => Member::Ty(Ty::Any),
            "object" => Member::Ty(Ty::Object),
            "map" => {
                if toks.get(*pos) != Some(&Tok::Lt) {
                    return Err("`map` is written `map<T>`".into());
                }
                *pos += 1;
                let (inner, nullable) = union(toks, pos)?;
                if toks.get(*pos) != Some(&Tok::Gt) || nullable {
                    return Err("`map` is written `map<T>` (T not nullable)".into());
                }
                *pos += 1;
                Member::Ty(Ty::Map(Box::new(inner)))
            }
            name if name.starts_with(|c: char| c.is_ascii_uppercase()) => Member::Ty(Ty::Ref(name.to_string())),
            other => return Err(format!("unknown type `{other}`")),
        }),
        other => Err(format!("unexpected `{other:?}` in a type")),
    }
}

/// Every reference must name an enum, a type or a parameter of the enclosing type;
/// generic types must be used with their arguments only as declared.
fn validate(cat: &Catalogue) -> Result<(), String> {
    fn check(cat: &Catalogue, def: &TypeDef, field: &str, ty: &Ty) -> Result<(), String> {
        match ty {
            Ty::Ref(name) => {
                if def.params.contains(name) || cat.enum_def(name).is_some() {
                    return Ok(());
                }
                match cat.type_def(name) {
                    Some(t) if t.params.is_empty() => Ok(()),
                    Some(_) => {
                        Err(format!("{}: `{}.{field}` uses generic `{name}` without arguments", def.origin, def.name))
                    }
                    None => Err(format!("{}: `{}.{field}` refers to unknown type `{name}`", def.origin, def.name)),
                }
            }
            Ty::List(inner) | Ty::Map(inner) => check(cat, def, field, inner),
            Ty::Literal { values, .. } if values.iter().any(|v| v.is_empty()) => {
                Err(format!("{}: `{}.{field}` has an empty literal", def.origin, def.name))
            }
            _ => Ok(()),
        }
    }
    for def in &cat.types {
        if def.fields.is_empty() && def.rust_path.is_none() {
            return Err(format!("{}: `{}` has no fields", def.origin, def.name));
        }
        for f in &def.fields {
            if f.wire == "extra" {
                return Err(format!("{}: `{}.extra` would clash with the Rust `extra` map", def.origin, def.name));
            }
            check(cat, def, &f.wire, &f.ty)?;
        }
    }
    Ok(())
}
