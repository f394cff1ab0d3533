//! The replication account on each source: missing, refused, its password changed, or TLS now required;
//! and, after a copy of files, set again on the copy for each of its replicas (the copy came with its seed
//! source's accounts, not its own).

use super::planner::Planner;
use super::{AccountReason, ReplStep};
use crate::replication::ReplicaStatus;

impl Planner<'_> {
    /// A physically seeded node comes up with its seed source's accounts, not its own: each account its
    /// replicas use is set on it (apply sets the accounts made on a node again after its copy).
    pub(super) fn accounts_after_copies(
        &self,
        seeds: &[ReplStep],
        directions: &[(&str, &str)],
        planned: &[ReplStep],
    ) -> Vec<ReplStep> {
        let mut out = Vec::new();
        for seed in seeds {
            let ReplStep::Seed {
                to,
                physical: Some(_),
                ..
            } = seed
            else {
                continue;
            };
            for &(replica, _) in directions.iter().filter(|(_, source)| source == to) {
                let address = self.address(replica);
                let set = |s: &ReplStep| {
                    matches!(s, ReplStep::Account { source, replica_address, .. }
                        if source == to && *replica_address == address)
                };
                if !planned.iter().chain(&out).any(set) {
                    out.push(ReplStep::Account {
                        source: to.clone(),
                        replica: replica.to_string(),
                        replica_address: address,
                        user: self.user().to_string(),
                        tls: self.tls.is_some(),
                        reason: AccountReason::Copied,
                    });
                }
            }
        }
        out
    }

    /// The account `user@replica-address` on the source, when it is missing or must be set again.
    pub(super) fn account(
        &self,
        replica: &str,
        source: &str,
        status: Option<&ReplicaStatus>,
    ) -> Option<ReplStep> {
        let address = self.address(replica);
        let on_source = self.repl(source);
        let refused = status.is_some_and(|s| s.last_io_errno == 1045);
        let has_account = on_source.is_some_and(|r| r.account_hosts.contains(&address));
        let account_tls = on_source.is_some_and(|r| r.tls_account_hosts.contains(&address));
        // Setting the account also sets its password from the playbook's secret: a replica already using the
        // account must then be given that password too, or it is refused at its next connect.
        let stored = on_source.and_then(|r| r.account_passwords.get(&address));
        let reason = if !has_account {
            AccountReason::Missing
        } else if refused {
            AccountReason::Refused
        } else if self
            .password
            .zip(stored)
            .is_some_and(|(wanted, stored)| !wanted.is_stored_as(stored))
        {
            AccountReason::PasswordChanged
        } else if self.tls.is_some() && !account_tls {
            // An account that requires TLS keeps requiring it: a play without `replication_tls` never
            // weakens it.
            AccountReason::TlsChanged
        } else {
            return None;
        };
        Some(ReplStep::Account {
            source: source.into(),
            replica: replica.into(),
            replica_address: address,
            user: self.user().into(),
            tls: self.tls.is_some(),
            reason,
        })
    }
}
