//! The UI's side of every command, generated from `commands.rs`: a command is declared once, as
//! its Rust function, and `ui/src/lib/commands.ts` (the `Commands` interface, the caller that
//! invokes each, and each one's argument names) is written from it. The argument and answer
//! types are the ones `bindings.rs` generates with ts-rs, so one generator of types serves both.
//! A test fails when the committed file is out of date, or when a command is missing from
//! `handler()`; `make bindings` rewrites it.
//!
//! Why not tauri-specta: it describes types with `specta`, so every type that crosses IPC would
//! change its derive (ts-rs today, with its tests), and it wraps each answer in a
//! `{status, data | error}` result that every caller in the UI would change for. Reading the
//! functions' signatures with `syn` is this file.

use std::collections::BTreeSet;

use syn::{FnArg, GenericArgument, Item, ItemFn, Pat, PathArguments, ReturnType, Type};

/// Parameters Tauri fills in itself: never sent by the UI.
const INJECTED: &[&str] = &["State", "AppHandle", "Window", "WebviewWindow", "Webview"];

struct Command {
    name: String,
    docs: Vec<String>,
    /// (name in Rust, TypeScript type); a raw body is `Request`.
    args: Vec<(String, String)>,
    raw_body: bool,
    answer: String,
}

/// `ui/src/lib/commands.ts`, from the source of `commands.rs`.
pub fn typescript(source: &str) -> Result<String, String> {
    let file = syn::parse_file(source).map_err(|e| format!("commands.rs does not parse: {e}"))?;
    let mut types = BTreeSet::new();
    let mut commands = Vec::new();
    let mut handled = None;
    for item in &file.items {
        let Item::Fn(function) = item else { continue };
        if function.sig.ident == "handler" {
            handled = Some(handler_names(function)?);
        }
        if function
            .attrs
            .iter()
            .any(|a| a.path().segments.last().is_some_and(|s| s.ident == "command"))
        {
            commands.push(command(function, &mut types)?);
        }
    }
    let declared: BTreeSet<&str> = commands.iter().map(|c| c.name.as_str()).collect();
    let handled = handled.ok_or("commands.rs has no `handler()`")?;
    let handled: BTreeSet<&str> = handled.iter().map(String::as_str).collect();
    if declared != handled {
        return Err(format!(
            "commands and handler() differ: not handled {:?}, handled but not commands {:?}",
            declared.difference(&handled).collect::<Vec<_>>(),
            handled.difference(&declared).collect::<Vec<_>>()
        ));
    }

    let mut out = String::from(
        "// Generated from src-tauri/src/commands.rs by src-tauri/src/ipc.rs. Do not edit: run `make bindings`.\n\n",
    );
    out.push_str("import { invoke } from '@tauri-apps/api/core';\n");
    if !types.is_empty() {
        let list: Vec<&str> = types.iter().map(String::as_str).collect();
        out.push_str(&format!("import type {{ {} }} from './bindings';\n", list.join(", ")));
    }
    out.push_str("\n/** Every command the shell answers, as the UI calls it. */\nexport interface Commands {\n");
    for c in &commands {
        if !c.docs.is_empty() {
            out.push_str("  /**\n");
            for line in &c.docs {
                out.push_str(&format!(
                    "   *{}{}\n",
                    if line.is_empty() { "" } else { " " },
                    line.replace("*/", "* /")
                ));
            }
            out.push_str("   */\n");
        }
        let params: Vec<String> = if c.raw_body {
            vec!["body: Uint8Array".into()]
        } else {
            c.args.iter().map(|(n, t)| format!("{}: {t}", camel(n))).collect()
        };
        out.push_str(&format!(
            "  {}({}): Promise<{}>;\n",
            camel(&c.name),
            params.join(", "),
            c.answer
        ));
    }
    out.push_str("}\n\n/** Each command's arguments, in order, as they cross IPC. */\n");
    out.push_str("export const commandArgs: { [K in keyof Commands]: readonly string[] } = {\n");
    for c in &commands {
        let names: Vec<String> = if c.raw_body {
            vec!["'body'".into()]
        } else {
            c.args.iter().map(|(n, _)| format!("'{}'", camel(n))).collect()
        };
        out.push_str(&format!("  {}: [{}],\n", camel(&c.name), names.join(", ")));
    }
    out.push_str("};\n\n/** The shell's commands over Tauri's IPC. */\nexport const commands: Commands = {\n");
    for c in &commands {
        let (params, call) = if c.raw_body {
            ("body".to_string(), format!("invoke('{}', body)", c.name))
        } else if c.args.is_empty() {
            (String::new(), format!("invoke('{}')", c.name))
        } else {
            let names: Vec<String> = c.args.iter().map(|(n, _)| camel(n)).collect();
            (
                names.join(", "),
                format!("invoke('{}', {{ {} }})", c.name, names.join(", ")),
            )
        };
        out.push_str(&format!("  {}: ({params}) => {call},\n", camel(&c.name)));
    }
    out.push_str("};\n");
    Ok(out)
}

fn command(function: &ItemFn, types: &mut BTreeSet<String>) -> Result<Command, String> {
    let name = function.sig.ident.to_string();
    let docs = function
        .attrs
        .iter()
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s), ..
                }) => Some(s.value().trim().to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let mut args = Vec::new();
    let mut raw_body = false;
    for input in &function.sig.inputs {
        let FnArg::Typed(typed) = input else {
            return Err(format!("{name}: a command takes no `self`"));
        };
        let last = last_segment(&typed.ty);
        if last.as_deref().is_some_and(|l| INJECTED.contains(&l)) {
            continue;
        }
        if last.as_deref() == Some("Request") {
            raw_body = true;
            continue;
        }
        let Pat::Ident(pat) = &*typed.pat else {
            return Err(format!("{name}: arguments are plain names"));
        };
        let arg = pat.ident.to_string();
        args.push((arg.trim_start_matches('_').to_string(), ts(&typed.ty, types)?));
    }
    let answer = match &function.sig.output {
        ReturnType::Default => "void".to_string(),
        ReturnType::Type(_, ty) => {
            let ty = match last_segment(ty).as_deref() {
                Some("CommandResult") => generic(ty, 0).ok_or(format!("{name}: CommandResult<T>"))?,
                _ => ty,
            };
            match ty {
                Type::Tuple(t) if t.elems.is_empty() => "void".to_string(),
                _ => ts(ty, types)?,
            }
        }
    };
    Ok(Command {
        name,
        docs,
        args,
        raw_body,
        answer,
    })
}

/// The names in `tauri::generate_handler![...]` inside `handler()`.
fn handler_names(function: &ItemFn) -> Result<Vec<String>, String> {
    let tokens = quote::ToTokens::to_token_stream(&function.block).to_string();
    let start = tokens
        .find("generate_handler !")
        .ok_or("handler() calls generate_handler!")?;
    let open = tokens[start..].find('[').ok_or("generate_handler![...]")? + start;
    let close = tokens[open..].find(']').ok_or("generate_handler![...]")? + open;
    Ok(tokens[open + 1..close]
        .split(',')
        .map(|n| n.split("::").last().unwrap_or(n).trim().to_string())
        .filter(|n| !n.is_empty())
        .collect())
}

fn last_segment(ty: &Type) -> Option<String> {
    match ty {
        Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        Type::Reference(r) => last_segment(&r.elem),
        _ => None,
    }
}

fn generic(ty: &Type, index: usize) -> Option<&Type> {
    let Type::Path(p) = ty else { return None };
    let PathArguments::AngleBracketed(args) = &p.path.segments.last()?.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|a| match a {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .nth(index)
}

/// The TypeScript type of a Rust type, as ts-rs writes it.
fn ts(ty: &Type, types: &mut BTreeSet<String>) -> Result<String, String> {
    let shown = || quote::ToTokens::to_token_stream(ty).to_string();
    if let Type::Reference(r) = ty {
        return ts(&r.elem, types);
    }
    let last = last_segment(ty).ok_or_else(|| format!("no TypeScript type for `{}`", shown()))?;
    Ok(match last.as_str() {
        "String" | "str" => "string".into(),
        "bool" => "boolean".into(),
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" | "f32" | "f64" => {
            "number".into()
        }
        "Option" => format!("{} | null", ts(generic(ty, 0).ok_or_else(shown)?, types)?),
        "Vec" => {
            let inner = ts(generic(ty, 0).ok_or_else(shown)?, types)?;
            if inner.contains(' ') {
                format!("Array<{inner}>")
            } else {
                format!("{inner}[]")
            }
        }
        "HashMap" | "BTreeMap" => format!("Record<string, {}>", ts(generic(ty, 1).ok_or_else(shown)?, types)?),
        named => {
            types.insert(named.to_string());
            named.to_string()
        }
    })
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for ch in snake.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_become_camel_case() {
        assert_eq!(super::camel("set_open_conversation"), "setOpenConversation");
        assert_eq!(super::camel("delete"), "delete");
    }
}
