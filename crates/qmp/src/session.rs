//! One client's QMP session: capabilities negotiation, then commands
//! (qapi/qmp-dispatch.c and monitor/qmp.c, with their error messages).

use serde_json::{json, Map, Value};

use crate::hmp::Hmp;
use crate::json::Message;
use crate::registry::{self, Args, QmpError};
use crate::Ctx;

#[derive(Default)]
pub struct Session {
    /// `qmp_capabilities` done: commands and events.
    pub negotiated: bool,
    /// The `oob` capability was enabled.
    pub oob: bool,
    hmp: Hmp,
}

/// A reply: `{"return": R, "id": ID}` or `{"id": ID, "error": E}` (QEMU's key order).
pub fn reply(id: Option<&Value>, r: Result<Value, QmpError>) -> Value {
    let mut m = Map::new();
    match r {
        Ok(v) => {
            m.insert("return".into(), v);
            if let Some(id) = id {
                m.insert("id".into(), id.clone());
            }
        }
        Err(e) => {
            if let Some(id) = id {
                m.insert("id".into(), id.clone());
            }
            m.insert("error".into(), json!({"class": e.class, "desc": e.desc}));
        }
    }
    Value::Object(m)
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    /// Handle one message from the client and give the reply to send.
    pub fn handle(&mut self, ctx: &Ctx, msg: Message) -> Value {
        let v = match msg {
            Ok(v) => v,
            Err(e) => return reply(None, Err(QmpError::generic(e))),
        };
        let Value::Object(obj) = v else {
            return reply(None, Err(QmpError::generic("QMP input must be a JSON object")));
        };
        let id = obj.get("id");
        reply(id, self.dispatch(ctx, &obj))
    }

    fn dispatch(&mut self, ctx: &Ctx, obj: &Map<String, Value>) -> Result<Value, QmpError> {
        let mut exec: Option<(&str, bool)> = None;
        for (k, v) in obj {
            match k.as_str() {
                "execute" | "exec-oob" if k == "execute" || self.oob => {
                    let Some(name) = v.as_str() else {
                        return Err(QmpError::generic(format!("QMP input member '{k}' must be a string")));
                    };
                    if exec.is_some() {
                        return Err(QmpError::generic("QMP input member 'execute' clashes with 'exec-oob'"));
                    }
                    exec = Some((name, k == "exec-oob"));
                }
                "arguments" if !v.is_object() => {
                    return Err(QmpError::generic("QMP input member 'arguments' must be an object"))
                }
                "arguments" | "id" => {}
                _ => return Err(QmpError::generic(format!("QMP input member '{k}' is unexpected"))),
            }
        }
        let Some((name, oob)) = exec else {
            return Err(QmpError::generic("QMP input lacks member 'execute'"));
        };
        let empty = Map::new();
        let args = obj.get("arguments").and_then(Value::as_object).unwrap_or(&empty);

        if !self.negotiated {
            if name != "qmp_capabilities" {
                return Err(QmpError::not_found("Expecting capabilities negotiation with 'qmp_capabilities'"));
            }
        } else if name == "qmp_capabilities" {
            return Err(QmpError::not_found("Capabilities negotiation is already complete, command ignored"));
        }
        let cmd = registry::find(name)
            .ok_or_else(|| QmpError::not_found(format!("The command {name} has not been found")))?;
        if oob && !cmd.oob {
            return Err(QmpError::generic(format!("The command {name} does not support OOB")));
        }
        registry::check_args(cmd, args)?;
        match name {
            "qmp_capabilities" => self.capabilities(args),
            "human-monitor-command" => {
                let a = Args(args);
                if a.int("cpu-index").is_some_and(|i| i != 0) {
                    return Err(QmpError::generic("Parameter 'cpu-index' expects a CPU number"));
                }
                Ok(Value::String(crate::crlf(&self.hmp.run(ctx, a.str("command-line").unwrap_or("")))))
            }
            _ => (cmd.run)(ctx, &Args(args)),
        }
    }

    fn capabilities(&mut self, args: &Map<String, Value>) -> Result<Value, QmpError> {
        let mut oob = false;
        for cap in args.get("enable").and_then(Value::as_array).into_iter().flatten() {
            match cap.as_str() {
                Some("oob") => oob = true,
                // QEMU's own wording, 'null' included (the list element has no name).
                Some(other) => {
                    return Err(QmpError::generic(format!("Parameter 'null' does not accept value '{other}'")))
                }
                None => return Err(QmpError::generic("Invalid parameter type for 'null', expected: string")),
            }
        }
        self.oob = oob;
        self.negotiated = true;
        Ok(json!({}))
    }
}
