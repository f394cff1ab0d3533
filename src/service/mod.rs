//! Service managers: how mysqld is restarted on a host. Chosen per host from the inventory, else from facts.
//!
//! Each backend turns "restart" into the command the host understands; running it is the apply layer's job,
//! over the host's transport, so the choice stays pure and shows in the plan.

use crate::model::{ServiceKind, ServiceSpec};

pub trait ServiceManager {
    /// The shell command that restarts mysqld and returns once the manager considers it started (or failed).
    fn restart_command(&self) -> String;
}

pub struct Systemd {
    pub unit: String,
}

pub struct SysV {
    pub name: String,
}

pub struct Custom {
    pub restart: String,
}

impl ServiceManager for Systemd {
    fn restart_command(&self) -> String {
        format!("systemctl restart {}", crate::shell::quote(&self.unit))
    }
}

impl ServiceManager for SysV {
    fn restart_command(&self) -> String {
        format!("service {} restart", crate::shell::quote(&self.name))
    }
}

impl ServiceManager for Custom {
    fn restart_command(&self) -> String {
        self.restart.clone()
    }
}

/// The manager for a host: the inventory's choice, else what the host has (systemd when it runs, else `service`).
pub fn choose(
    spec: &ServiceSpec,
    detected: ServiceKind,
    detected_name: &str,
) -> Box<dyn ServiceManager> {
    let name = spec
        .name
        .clone()
        .unwrap_or_else(|| detected_name.to_string());
    match (spec.manager, &spec.restart_command) {
        (Some(ServiceKind::Custom), Some(cmd)) | (None, Some(cmd)) => Box::new(Custom {
            restart: cmd.clone(),
        }),
        (Some(ServiceKind::Systemd), _) => Box::new(Systemd { unit: name }),
        (Some(ServiceKind::Service), _) => Box::new(SysV { name }),
        (Some(ServiceKind::Custom), None) | (None, None) => match detected {
            ServiceKind::Systemd => Box::new(Systemd { unit: name }),
            _ => Box::new(SysV { name }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_choice_wins_over_detection() {
        let detected = ServiceKind::Systemd;
        assert_eq!(
            choose(&ServiceSpec::default(), detected, "mariadb").restart_command(),
            "systemctl restart mariadb"
        );
        let sysv = ServiceSpec {
            manager: Some(ServiceKind::Service),
            ..Default::default()
        };
        assert_eq!(
            choose(&sysv, detected, "mariadb").restart_command(),
            "service mariadb restart"
        );
        let custom = ServiceSpec {
            restart_command: Some("/usr/local/bin/db restart".into()),
            ..Default::default()
        };
        assert_eq!(
            choose(&custom, detected, "mariadb").restart_command(),
            "/usr/local/bin/db restart"
        );
        let named = ServiceSpec {
            name: Some("mysql".into()),
            ..Default::default()
        };
        assert_eq!(
            choose(&named, ServiceKind::Service, "mariadb").restart_command(),
            "service mysql restart"
        );
    }
}
