//! Routing in Rust with `matchit`: one radix tree per method, matched on the raw path.
//!
//! The rules are bolt-api's (`bolt_api._routing.RouteMatcher`): per segment a literal beats
//! `{name}`, which beats `{*name}`; a miss reports which other methods match the path so
//! bolt-api can answer 405 with `Allow`.

use http::Method;

/// Per-method radix trees whose values index the route table.
#[derive(Default)]
pub struct Router {
    trees: Vec<(Method, matchit::Router<usize>)>,
}

/// A route hit: the route index and its captured (still percent-encoded) parameters.
pub struct Hit<'p> {
    pub index: usize,
    pub params: Option<Vec<(&'p str, &'p str)>>,
}

impl Router {
    /// Add `path` (engine syntax) for `method`; the error names the conflicting route.
    pub fn insert(&mut self, method: &str, path: &str, index: usize) -> Result<(), String> {
        let method = Method::from_bytes(method.as_bytes())
            .map_err(|_| format!("invalid HTTP method {method:?}"))?;
        let position = self.trees.iter().position(|(m, _)| *m == method);
        let tree = if let Some(i) = position {
            &mut self.trees[i].1
        } else {
            self.trees.push((method.clone(), matchit::Router::new()));
            let last = self.trees.len() - 1;
            &mut self.trees[last].1
        };
        tree.insert(path, index)
            .map_err(|e| format!("cannot route {method} {path}: {e}"))
    }

    /// The route for `method` and raw `path`, if any.
    pub fn at<'p>(&'p self, method: &Method, path: &'p str) -> Option<Hit<'p>> {
        let (_, tree) = self.trees.iter().find(|(m, _)| m == method)?;
        let matched = tree.at(path).ok()?;
        let params = if matched.params.is_empty() {
            None
        } else {
            Some(matched.params.iter().collect())
        };
        Some(Hit {
            index: *matched.value,
            params,
        })
    }

    /// Whether a route of any method matches `path`.
    pub fn routes_any(&self, path: &str) -> bool {
        self.trees.iter().any(|(_, tree)| tree.at(path).is_ok())
    }

    /// Every method with a route matching `path`.
    pub fn allowed(&self, path: &str) -> Vec<&str> {
        self.trees
            .iter()
            .filter(|(_, tree)| tree.at(path).is_ok())
            .map(|(m, _)| m.as_str())
            .collect()
    }
}
