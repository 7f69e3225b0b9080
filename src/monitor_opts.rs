//! `-qmp`, `-qmp-pretty`, `-monitor`, `-chardev` and `-mon`, spelled as
//! qemu-system-riscv64 spells them.

use std::path::PathBuf;

use qmp::{Chardev, MonitorSpec};

/// `key=value` options after the backend (`server=on,wait=off`); QEMU also
/// takes the bare flags `server`, `nowait`, `wait`.
fn flags(parts: &[&str]) -> Result<(bool, bool), String> {
    let (mut server, mut wait) = (false, true);
    for p in parts {
        let (k, v) = p.split_once('=').unwrap_or((p, "on"));
        let on = match v {
            "on" | "yes" | "true" => true,
            "off" | "no" | "false" => false,
            _ => return Err(format!("Parameter '{k}' expects 'on' or 'off'")),
        };
        match k {
            "server" => server = on,
            "wait" => wait = on,
            "nowait" => wait = !on,
            _ => return Err(format!("Invalid parameter '{k}'")),
        }
    }
    if !server {
        return Err("only server sockets are supported (add server=on)".into());
    }
    Ok((server, wait))
}

/// A monitor's device: `unix:PATH,...`, `tcp:HOST:PORT,...`, `stdio`.
pub fn parse_dev(v: &str) -> Result<Option<Chardev>, String> {
    let parts: Vec<&str> = v.split(',').collect();
    let first = parts[0];
    if let Some(path) = first.strip_prefix("unix:") {
        if path.is_empty() {
            return Err("unix: needs a path".into());
        }
        let (_, wait) = flags(&parts[1..])?;
        return Ok(Some(Chardev::Unix { path: PathBuf::from(path), wait }));
    }
    if let Some(addr) = first.strip_prefix("tcp:") {
        let (host, port) = addr.rsplit_once(':').ok_or("tcp: needs HOST:PORT")?;
        let port: u16 = port.parse().map_err(|_| format!("'{port}' is not a valid port"))?;
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        let (_, wait) = flags(&parts[1..])?;
        return Ok(Some(Chardev::Tcp { host: host.to_string(), port, wait }));
    }
    match v {
        "stdio" => Ok(Some(Chardev::Stdio)),
        "none" => Ok(None),
        _ => Err(format!("'{v}' is not a valid monitor device (unix:PATH,server=on, tcp:HOST:PORT,server=on, stdio)")),
    }
}

/// `-chardev socket,id=ID,path=P|host=H,port=N,server=on[,wait=off]` or `stdio,id=ID`.
pub fn parse_chardev(v: &str) -> Result<(String, Chardev), String> {
    let mut parts = v.split(',');
    let backend = parts.next().unwrap_or_default();
    let (mut id, mut path, mut host, mut port, mut rest) = (None, None, None, None, Vec::new());
    for p in parts {
        match p.split_once('=') {
            Some(("id", x)) => id = Some(x.to_string()),
            Some(("path", x)) => path = Some(x.to_string()),
            Some(("host", x)) => host = Some(x.to_string()),
            Some(("port", x)) => port = Some(x.parse::<u16>().map_err(|_| format!("'{x}' is not a valid port"))?),
            _ => rest.push(p),
        }
    }
    let id = id.ok_or("chardev: no id specified")?;
    let dev = match backend {
        "socket" => {
            let (_, wait) = flags(&rest)?;
            match (path, port) {
                (Some(p), None) => Chardev::Unix { path: PathBuf::from(p), wait },
                (None, Some(port)) => Chardev::Tcp { host: host.unwrap_or_else(|| "0.0.0.0".into()), port, wait },
                _ => return Err("chardev: socket needs either path= or port=".into()),
            }
        }
        "stdio" if rest.is_empty() => Chardev::Stdio,
        _ => return Err(format!("chardev: backend '{backend}' is not supported (socket, stdio)")),
    };
    Ok((id, dev))
}

/// `-mon chardev=ID[,mode=control|readline][,pretty=on|off]`: (id, readline, pretty).
pub fn parse_mon(v: &str) -> Result<(String, bool, bool), String> {
    let (mut id, mut readline, mut pretty) = (None, true, false);
    for p in v.split(',') {
        match p.split_once('=') {
            Some(("chardev", x)) => id = Some(x.to_string()),
            Some(("mode", "control")) => readline = false,
            Some(("mode", "readline")) => readline = true,
            Some(("pretty", x)) => pretty = matches!(x, "on" | "yes" | "true"),
            _ => return Err(format!("Invalid parameter '{p}'")),
        }
    }
    Ok((id.ok_or("mon: chardev= is required")?, readline, pretty))
}

/// Resolve `-mon` references against `-chardev` definitions.
pub fn resolve(chardevs: &[(String, Chardev)], mons: &[(String, bool, bool)]) -> Result<Vec<MonitorSpec>, String> {
    mons.iter()
        .map(|(id, readline, pretty)| match chardevs.iter().find(|(i, _)| i == id) {
            Some((_, dev)) => {
                Ok(MonitorSpec { id: id.clone(), chardev: dev.clone(), pretty: *pretty, readline: *readline })
            }
            None => Err(format!("-mon: chardev '{id}' not found")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_as_qemu_spells_them() {
        assert_eq!(
            parse_dev("unix:/tmp/q.sock,server=on,wait=off"),
            Ok(Some(Chardev::Unix { path: "/tmp/q.sock".into(), wait: false }))
        );
        assert_eq!(
            parse_dev("unix:/tmp/q.sock,server,nowait"),
            Ok(Some(Chardev::Unix { path: "/tmp/q.sock".into(), wait: false }))
        );
        assert_eq!(
            parse_dev("tcp:127.0.0.1:4444,server=on"),
            Ok(Some(Chardev::Tcp { host: "127.0.0.1".into(), port: 4444, wait: true }))
        );
        assert_eq!(parse_dev("stdio"), Ok(Some(Chardev::Stdio)));
        assert_eq!(parse_dev("none"), Ok(None));
        assert!(parse_dev("unix:/tmp/q.sock").unwrap_err().contains("server=on"));
        assert!(parse_dev("tcp:1.2.3.4:99999,server=on").is_err());
        assert!(parse_dev("unix:/x,server=on,bogus=1").is_err());
        assert!(parse_dev("pty").is_err());
    }

    #[test]
    fn chardev_and_mon() {
        let cd = parse_chardev("socket,id=m0,host=127.0.0.1,port=5555,server=on,wait=off").unwrap();
        assert_eq!(cd, ("m0".into(), Chardev::Tcp { host: "127.0.0.1".into(), port: 5555, wait: false }));
        let mon = parse_mon("chardev=m0,mode=control,pretty=on").unwrap();
        assert_eq!(mon, ("m0".into(), false, true));
        let specs = resolve(&[cd], &[mon]).unwrap();
        assert!(specs[0].pretty && !specs[0].readline);
        assert!(resolve(&[], &[("x".into(), true, false)]).is_err());
        assert!(parse_chardev("socket,path=/x,server=on").is_err(), "no id");
        assert!(parse_mon("mode=control").is_err());
    }
}
