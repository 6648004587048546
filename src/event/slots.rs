//! Key slots: the top-level keys rules read most, found in an event without a scan of its
//! fields. A name a rule or template reads is resolved once, when the rule loads
//! ([`crate::context::FieldName`]): to a built-in value (`msg`, `error`, …) or to the slot of its
//! key (and of its dotted prefixes). Each event fills its slot table from its fields the first
//! time a slotted name is asked for, one pass; after that a lookup is an array read, present or
//! absent. Keys without a slot are found by a scan of the fields, as before: a slot is only
//! ever a shortcut to the same answer.

use std::cell::OnceCell;

/// The keys with a slot, in slot order: what the built-in rules, their templates and the
/// derived values read (`context::derive`), and the heads of the dotted names they read
/// (`action` of `action.page_token`). `slot_of` follows this list (a test keeps them in step).
pub const SLOT_KEYS: [&str; 48] = [
    "http.status_code",
    "status_code",
    "count",
    "task_type",
    "task_id",
    "http.url_details.query",
    "http.url_details.path",
    "http.url_details.host",
    "http.method",
    "grpc.time_ms",
    "grpc.method",
    "grpc.start_time",
    "grpc.code",
    "resource_type_id",
    "resource_type",
    "resource_id",
    "method",
    "path",
    "id",
    "page_token",
    "stack",
    "wait",
    "sync_id",
    "status",
    "host",
    "operation",
    "innermost",
    "vendor",
    "vendor_class",
    "vendor_text",
    "vendor_fix",
    "wire_code",
    "url",
    "path_template",
    "exit_status",
    "grpc_method",
    "call_seq",
    "key",
    "action",
    "stateAction",
    "http",
    "http.url_details",
    "http.headers",
    "grpc",
    "panic",
    "panic.frame",
    "panic.location",
    "max",
];

/// The slot of `key`, if it has one. A `match`: the compiler switches on the length first,
/// and it runs once per field of an event whose slots are asked for.
pub fn slot_of(key: &str) -> Option<u8> {
    Some(match key {
        "http.status_code" => 0,
        "status_code" => 1,
        "count" => 2,
        "task_type" => 3,
        "task_id" => 4,
        "http.url_details.query" => 5,
        "http.url_details.path" => 6,
        "http.url_details.host" => 7,
        "http.method" => 8,
        "grpc.time_ms" => 9,
        "grpc.method" => 10,
        "grpc.start_time" => 11,
        "grpc.code" => 12,
        "resource_type_id" => 13,
        "resource_type" => 14,
        "resource_id" => 15,
        "method" => 16,
        "path" => 17,
        "id" => 18,
        "page_token" => 19,
        "stack" => 20,
        "wait" => 21,
        "sync_id" => 22,
        "status" => 23,
        "host" => 24,
        "operation" => 25,
        "innermost" => 26,
        "vendor" => 27,
        "vendor_class" => 28,
        "vendor_text" => 29,
        "vendor_fix" => 30,
        "wire_code" => 31,
        "url" => 32,
        "path_template" => 33,
        "exit_status" => 34,
        "grpc_method" => 35,
        "call_seq" => 36,
        "key" => 37,
        "action" => 38,
        "stateAction" => 39,
        "http" => 40,
        "http.url_details" => 41,
        "http.headers" => 42,
        "grpc" => 43,
        "panic" => 44,
        "panic.frame" => 45,
        "panic.location" => 46,
        "max" => 47,
        _ => return None,
    })
}

/// An event's slot table: per slot, 1 + the index of the first field with that key, or 0 when
/// it has none. Filled on first use; an event with 255 fields or more has none (its lookups
/// scan).
#[derive(Clone, Debug, Default)]
pub struct KeySlots(OnceCell<Option<[u8; SLOT_KEYS.len()]>>);

impl KeySlots {
    /// The table of an event whose fields have these keys (always the same event's keys: the
    /// table is built once).
    pub fn table<'k>(
        &self,
        keys: impl ExactSizeIterator<Item = &'k str>,
    ) -> Option<&[u8; SLOT_KEYS.len()]> {
        self.0
            .get_or_init(|| {
                if keys.len() >= u8::MAX as usize {
                    return None;
                }
                let mut t = [0u8; SLOT_KEYS.len()];
                for (i, k) in keys.enumerate() {
                    if let Some(s) = slot_of(k) {
                        let cell = &mut t[s as usize];
                        if *cell == 0 {
                            *cell = i as u8 + 1;
                        }
                    }
                }
                Some(t)
            })
            .as_ref()
    }
}

/// The values every event has outside its fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Msg,
    Error,
    Level,
    Caller,
    Raw,
    Kind,
    Ts,
}

impl Builtin {
    /// The built-in value a name stands for (see [`crate::event::Event::get`]).
    pub fn of(name: &str) -> Option<Builtin> {
        Some(match name {
            "msg" => Builtin::Msg,
            "error" => Builtin::Error,
            "level" => Builtin::Level,
            "caller" => Builtin::Caller,
            "raw" => Builtin::Raw,
            "kind" => Builtin::Kind,
            "ts" => Builtin::Ts,
            _ => return None,
        })
    }
}

/// What a name refers to in an event, worked out once: a built-in value, the slot of the key
/// (when it has one), and for a dotted name the slots of its dot-prefixes, longest first
/// (`None` when one of them has no slot: then the fields are scanned for the head).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRef {
    pub builtin: Option<Builtin>,
    pub slot: Option<u8>,
    pub heads: Option<Box<[u8]>>,
}

impl KeyRef {
    pub fn of(name: &str) -> KeyRef {
        let heads = name
            .bytes()
            .enumerate()
            .rev()
            .filter(|&(_, b)| b == b'.')
            .map(|(i, _)| slot_of(&name[..i]))
            .collect::<Option<Box<[u8]>>>();
        KeyRef {
            builtin: Builtin::of(name),
            slot: slot_of(name),
            heads,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_of_follows_the_list() {
        for (i, k) in SLOT_KEYS.iter().enumerate() {
            assert_eq!(slot_of(k), Some(i as u8), "{k}");
        }
        assert_eq!(slot_of("http.status"), None);
        assert_eq!(slot_of(""), None);
    }

    #[test]
    fn a_dotted_name_has_the_slots_of_its_prefixes_longest_first() {
        let r = KeyRef::of("http.url_details.host");
        assert_eq!(r.slot, slot_of("http.url_details.host"));
        assert_eq!(
            r.heads.as_deref(),
            Some(
                &[
                    slot_of("http.url_details").unwrap(),
                    slot_of("http").unwrap()
                ][..]
            )
        );
        assert_eq!(KeyRef::of("count").heads.as_deref(), Some(&[][..]));
        assert_eq!(
            KeyRef::of("action.zzz").heads.as_deref(),
            Some(&[slot_of("action").unwrap()][..])
        );
        assert_eq!(KeyRef::of("nope.zzz").heads, None);
        assert_eq!(KeyRef::of("msg").builtin, Some(Builtin::Msg));
    }

    #[test]
    fn the_first_field_of_a_key_holds_its_slot() {
        let keys = ["msg_x", "count", "action", "count"];
        let slots = KeySlots::default();
        let t = slots.table(keys.iter().copied()).unwrap();
        assert_eq!(t[slot_of("count").unwrap() as usize], 2);
        assert_eq!(t[slot_of("action").unwrap() as usize], 3);
        assert_eq!(t[slot_of("host").unwrap() as usize], 0);
        let many: Vec<String> = (0..300).map(|i| format!("k{i}")).collect();
        assert!(
            KeySlots::default()
                .table(many.iter().map(String::as_str))
                .is_none()
        );
    }
}
