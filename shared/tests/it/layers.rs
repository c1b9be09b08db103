//! The crate's layers (lib.rs): a module uses only its own layer and the ones below; inside the
//! sign-in part (`sign_in/mod.rs`), its own floors keep the same rule, and nothing below the part
//! names it. Read from the code itself: every path that starts with `crate::` outside the tests
//! (`#[cfg(test)]` items, and the `tests.rs` files of `#[cfg(test)] mod tests;`), in `use` items
//! and in code alike.

use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// Each top-level module's layer, from the ground up, as lib.rs lists them.
const LAYERS: &[(&str, u8)] = &[
    ("clock", 1),
    ("domain", 1),
    ("telemetry", 1),
    ("ports", 2),
    ("service", 3),
    ("adapters", 4),
    ("http", 5),
    ("sign_in", 6),
    ("runtime", 7),
    ("testing", 8),
];

/// The sign-in part's floors, from the ground up, as its mod.rs lists them.
const SIGN_IN_FLOORS: &[(&str, u8)] =
    &[("domain", 1), ("store", 2), ("events", 3), ("service", 3), ("dynamo", 4), ("memory", 4), ("endpoints", 5)];

fn floor(module: &str) -> Option<u8> {
    SIGN_IN_FLOORS.iter().find(|(name, _)| *name == module).map(|(_, floor)| *floor)
}

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(name, _)| *name == module).map(|(_, layer)| *layer)
}

/// `#[cfg(test)]`: code only the crate's unit tests build.
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && matches!(&a.meta, syn::Meta::List(list) if list.tokens.to_string() == "test")
    })
}

/// The modules a file names after `crate::` (and, after `crate::sign_in::`, the floor), outside
/// its tests.
#[derive(Default)]
struct Uses(Vec<(String, Option<String>)>);

/// The first two names of a use tree below `crate::`.
fn use_names(tree: &syn::UseTree, into: &mut Vec<(String, Option<String>)>) {
    let second = |next: &syn::UseTree, into: &mut Vec<Option<String>>| match next {
        syn::UseTree::Path(p) => into.push(Some(p.ident.to_string())),
        syn::UseTree::Name(n) => into.push(Some(n.ident.to_string())),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                match t {
                    syn::UseTree::Path(p) => into.push(Some(p.ident.to_string())),
                    syn::UseTree::Name(n) => into.push(Some(n.ident.to_string())),
                    _ => into.push(None),
                }
            }
        }
        _ => into.push(None),
    };
    match tree {
        syn::UseTree::Path(next) => {
            let mut seconds = Vec::new();
            second(&next.tree, &mut seconds);
            for s in seconds {
                into.push((next.ident.to_string(), s));
            }
        }
        syn::UseTree::Name(name) => into.push((name.ident.to_string(), None)),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                use_names(tree, into);
            }
        }
        _ => {}
    }
}

impl Visit<'_> for Uses {
    fn visit_item(&mut self, item: &syn::Item) {
        let attrs = match item {
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            _ => return syn::visit::visit_item(self, item),
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_impl_item(&mut self, item: &syn::ImplItem) {
        if let syn::ImplItem::Fn(f) = item
            && is_test_only(&f.attrs)
        {
            return;
        }
        syn::visit::visit_impl_item(self, item);
    }

    fn visit_item_use(&mut self, item: &syn::ItemUse) {
        if let syn::UseTree::Path(path) = &item.tree
            && path.ident == "crate"
        {
            use_names(&path.tree, &mut self.0);
        }
    }

    fn visit_path(&mut self, path: &syn::Path) {
        let mut segments = path.segments.iter();
        if segments.next().is_some_and(|s| s.ident == "crate")
            && let Some(module) = segments.next()
        {
            self.0.push((module.ident.to_string(), segments.next().map(|s| s.ident.to_string())));
        }
        syn::visit::visit_path(self, path);
    }
}

fn sources(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, into);
        } else if path.extension().is_some_and(|e| e == "rs") {
            into.push(path);
        }
    }
}

/// Every `crate::` path of a file whose layer is below the layer it names.
fn upward_uses(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    sources(src, &mut files);
    files.sort();
    assert!(files.len() > 30, "only {} files under {}", files.len(), src.display());
    let mut upward = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        if file.file_name().is_some_and(|n| n == "tests.rs") || relative.components().any(|c| c.as_os_str() == "tests")
        {
            continue; // a module's unit tests (`#[cfg(test)] mod tests;`, and the files of its own)
        }
        let mut parts =
            relative.components().map(|c| c.as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned());
        let first = parts.next().unwrap();
        if first == "lib" {
            continue;
        }
        let own = layer(&first).unwrap_or_else(|| panic!("{}: a module lib.rs puts in no layer", relative.display()));
        // Inside the sign-in part: the file's floor (its mod.rs lists the floors, on none).
        let own_floor = match (first.as_str(), parts.next()) {
            ("sign_in", Some(second)) if second != "mod" => Some(
                floor(&second).unwrap_or_else(|| panic!("{}: sign_in/mod.rs puts it on no floor", relative.display())),
            ),
            _ => None,
        };
        let code = syn::parse_file(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let mut uses = Uses::default();
        uses.visit_file(&code);
        for (module, second) in uses.0 {
            let named =
                layer(&module).unwrap_or_else(|| panic!("{}: crate::{module} is in no layer", relative.display()));
            if named > own {
                upward.push(format!("{} (layer {own}) uses crate::{module} (layer {named})", relative.display()));
            }
            if let (Some(own_floor), "sign_in", Some(second)) = (own_floor, module.as_str(), second) {
                let named = floor(&second)
                    .unwrap_or_else(|| panic!("{}: crate::sign_in::{second} is on no floor", relative.display()));
                if named > own_floor {
                    upward.push(format!(
                        "{} (sign-in floor {own_floor}) uses crate::sign_in::{second} (floor {named})",
                        relative.display()
                    ));
                }
            }
        }
    }
    upward.sort();
    upward.dedup();
    upward
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let upward = upward_uses(&src);
    assert!(upward.is_empty(), "uses that run up the layers:\n{}", upward.join("\n"));
}

/// The sign-in part's floors are held too: a floor that named one above it is found.
#[test]
fn the_sign_in_floors_are_read_from_the_code() {
    let code: syn::File = syn::parse_quote! {
        use crate::sign_in::{domain::error::OAuthError, endpoints::oauth};
        fn f() { crate::sign_in::service::request_code(); }
    };
    let mut uses = Uses::default();
    uses.visit_file(&code);
    let sign_in: Vec<_> = uses.0.iter().filter(|(m, _)| m == "sign_in").filter_map(|(_, s)| s.as_deref()).collect();
    assert_eq!(sign_in, ["domain", "endpoints", "service"]);
    assert!(
        floor("endpoints") > floor("service") && floor("service") > floor("store") && floor("store") > floor("domain")
    );
    assert!(layer("sign_in") > layer("http") && layer("sign_in") < layer("runtime"));
}
