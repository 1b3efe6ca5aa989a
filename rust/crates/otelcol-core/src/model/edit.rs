//! Dropping items from an encoded request by copying the byte ranges kept.
//!
//! Two passes over the envelope: the first asks the predicate about every item
//! once and notes the decisions; the second writes the kept fields, with new
//! length prefixes for the scopes and resources whose contents shrank. Items
//! themselves are copied whole, never re-encoded. Scopes left without items
//! and resources left without scopes disappear, as they do when the owned
//! request is filtered with `retain`.

use super::Signal;
use super::view::{ItemView, resources};
use super::wire::{Field, fields, len_field_size, put_len_header};

/// What an edit made of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Retained {
    /// Nothing changed: the original bytes stand.
    Unchanged,
    /// Nothing is left.
    Empty,
    /// The new request, and how many items (collector units) it holds.
    Edited(Vec<u8>, usize),
}

/// Keeps the items for which `keep` says true.
pub fn retain_items<'a>(request: &'a [u8], signal: Signal, mut keep: impl FnMut(&ItemView<'a>) -> bool) -> Retained {
    // Decisions in walk order; the second pass reads them back in the same order.
    let mut decisions: Vec<bool> = Vec::new();
    let mut changed = false;
    let mut any_kept = false;
    for r in resources(request, signal) {
        let mut resource_kept = false;
        for s in r.scopes() {
            let mut scope_kept = false;
            for item in s.items() {
                let k = keep(&item);
                decisions.push(k);
                scope_kept |= k;
                changed |= !k;
            }
            // An empty scope goes, even one that arrived empty.
            changed |= !scope_kept;
            resource_kept |= scope_kept;
        }
        changed |= !resource_kept;
        any_kept |= resource_kept;
    }
    if !any_kept {
        return Retained::Empty;
    }
    if !changed {
        return Retained::Unchanged;
    }

    let mut out = Vec::with_capacity(request.len());
    let mut d = Decisions {
        all: &decisions,
        next: 0,
    };
    let mut items = 0usize;
    for f in fields(request) {
        if f.number != 1 {
            out.extend_from_slice(&request[f.range()]);
            continue;
        }
        let resource = f.value.as_bytes().unwrap_or(&[]);
        let mark = d.next;
        let size = resource_size(resource, &mut d);
        d.next = mark;
        if size == 0 {
            d.skip_resource(resource);
            continue;
        }
        put_len_header(&mut out, 1, size);
        write_resource(&mut out, resource, signal, &mut d, &mut items);
    }
    Retained::Edited(out, items)
}

struct Decisions<'d> {
    all: &'d [bool],
    next: usize,
}

impl Decisions<'_> {
    fn take(&mut self) -> bool {
        let k = self.all.get(self.next).copied().unwrap_or(true);
        self.next += 1;
        k
    }

    fn skip_resource(&mut self, resource: &[u8]) {
        for scope in fields(resource).filter(|f| f.number == 2) {
            let scope = scope.value.as_bytes().unwrap_or(&[]);
            self.next += fields(scope).filter(|f| f.number == 2).count();
        }
    }
}

/// Kept bytes of one scope's content; 0 when no item is kept.
fn scope_size(scope: &[u8], d: &mut Decisions<'_>) -> usize {
    let mut size = 0;
    let mut kept = false;
    for f in fields(scope) {
        if f.number == 2 {
            if d.take() {
                kept = true;
                size += f.end - f.start;
            }
        } else {
            size += f.end - f.start;
        }
    }
    if kept { size } else { 0 }
}

fn resource_size(resource: &[u8], d: &mut Decisions<'_>) -> usize {
    let mut size = 0;
    let mut kept = false;
    for f in fields(resource) {
        if f.number == 2 {
            let s = scope_size(f.value.as_bytes().unwrap_or(&[]), d);
            if s > 0 {
                kept = true;
                size += len_field_size(2, s);
            }
        } else {
            size += f.end - f.start;
        }
    }
    if kept { size } else { 0 }
}

fn write_resource(out: &mut Vec<u8>, resource: &[u8], signal: Signal, d: &mut Decisions<'_>, items: &mut usize) {
    for f in fields(resource) {
        if f.number != 2 {
            out.extend_from_slice(&resource[f.range()]);
            continue;
        }
        let scope = f.value.as_bytes().unwrap_or(&[]);
        let mark = d.next;
        let size = scope_size(scope, d);
        if size == 0 {
            continue; // decisions consumed by scope_size
        }
        d.next = mark;
        put_len_header(out, 2, size);
        for g in fields(scope) {
            if g.number == 2 {
                if !d.take() {
                    continue;
                }
                *items += item_units(&g, signal);
            }
            out.extend_from_slice(&scope[g.range()]);
        }
    }
}

fn item_units(f: &Field<'_>, signal: Signal) -> usize {
    match signal {
        Signal::Metrics => ItemView::new(signal, f.value.as_bytes().unwrap_or(&[])).item_count(),
        _ => 1,
    }
}
