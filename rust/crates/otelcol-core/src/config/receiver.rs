//! Settings shapes the network receivers share, with the Go receivers' meaning.

use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "present")]` on a
/// `protocols.<name>` field: a key that is present enables the protocol, even
/// with no value (YAML null), which then takes its defaults, as in Go.
pub fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Some(Option::<T>::deserialize(d)?.unwrap_or_default()))
}
