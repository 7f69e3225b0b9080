//! Whole-machine tests: boards built from configs, images in memory.

use super::*;

fn machine_is_send<T: Send>() {}

#[test]
fn machine_is_send_and_names_parse() {
    machine_is_send::<Machine>();
    assert_eq!("virt".parse::<BoardKind>(), Ok(BoardKind::Virt));
    assert_eq!("spike".parse::<BoardKind>(), Ok(BoardKind::Spike));
    assert!("sifive_u".parse::<BoardKind>().is_err());
    assert_eq!(BoardKind::Spike.to_string(), "spike");
}
