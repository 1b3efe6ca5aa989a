//! An attribute list with pdata's `pcommon.Map` semantics, because the Go
//! translator's output depends on them: putting an existing key replaces
//! its value in place, and removing swaps the last entry into the hole.

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attrs(pub Vec<KeyValue>);

impl Attrs {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|kv| kv.key == key)
            .and_then(|kv| kv.value.as_ref()?.value.as_ref())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|kv| kv.key == key)
    }

    pub fn put(&mut self, key: &str, v: Value) {
        let value = Some(AnyValue { value: Some(v) });
        match self.0.iter_mut().find(|kv| kv.key == key) {
            Some(kv) => kv.value = value,
            None => self.0.push(KeyValue {
                key: key.to_string(),
                value,
                ..Default::default()
            }),
        }
    }

    pub fn remove(&mut self, key: &str) -> bool {
        match self.0.iter().position(|kv| kv.key == key) {
            Some(i) => {
                self.0.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// `Value.Str()`: the string, or "" for any other type.
    pub fn get_str(&self, key: &str) -> Option<String> {
        self.get(key).map(str_of)
    }

    pub fn into_vec(self) -> Vec<KeyValue> {
        self.0
    }
}

pub fn str_of(v: &Value) -> String {
    match v {
        Value::StringValue(s) => s.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_replaces_in_place_and_remove_swaps_in_the_last() {
        let mut a = Attrs::default();
        for k in ["a", "b", "c", "d"] {
            a.put(k, Value::IntValue(1));
        }
        a.put("b", Value::IntValue(2));
        assert_eq!(a.get("b"), Some(&Value::IntValue(2)));
        assert!(a.remove("a"));
        let keys: Vec<_> = a.0.iter().map(|kv| kv.key.as_str()).collect();
        assert_eq!(keys, ["d", "b", "c"]);
        assert!(!a.remove("zz"));
    }
}
