//! The QMP monitor (issue: QMP). Empty until then.
