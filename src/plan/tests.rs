//! The plan over scripted facts: no host, no I/O.

use std::collections::BTreeMap;

use super::*;
use crate::facts::HostFacts;
use crate::flavor::ServerVersion;
use crate::model::ServiceKind;

const CONFIG: &str = "[mysqld]\nserver-id = 1\nlog-bin = /var/log/mysql/mysql-bin.log\nmax_binlog_size = 100M\n\
                      bind-address = 0.0.0.0\nskip-slave-start\n";

fn desired() -> Desired {
    Desired {
        host: "h1".into(),
        config_path: "/etc/mysql/mariadb.conf.d/60-mmprov.cnf".into(),
        config: CONFIG.into(),
        flavor: ServerVersion::DEBIAN_DEFAULT.flavor(),
        restart_command: "service mariadb restart".into(),
        warnings: Vec::new(),
        gtid_moved_online: false,
        interleave_change: None,
        held: None,
        play: "pair".into(),
        datadir_move: false,
        install: crate::model::Install::Distribution,
    }
}

/// A server already running with everything the config asks for.
fn converged() -> HostFacts {
    let variables: BTreeMap<String, String> = [
        ("server_id", "1"),
        ("log_bin", "ON"),
        ("max_binlog_size", "104857600"),
        ("bind_address", "0.0.0.0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    HostFacts {
        host: "h1".into(),
        server: Some(ServerVersion::DEBIAN_DEFAULT),
        running: true,
        service: ServiceKind::Service,
        service_name: "mariadb".into(),
        config_path: "/etc/mysql/mariadb.conf.d/60-mmprov.cnf".into(),
        option_files: Default::default(),
        config: Some(CONFIG.into()),
        variables,
        replication: None,
        seed_incomplete: false,
        writes_held: false,
        rejoin: None,
        missing_files: Vec::new(),
        layout: Default::default(),
        os: Default::default(),
    }
}

fn plan_for(facts: &HostFacts) -> HostPlan {
    let d = desired();
    plan_host(&d, facts, d.flavor.as_ref()).expect("not refused")
}

/// The classic recipe's paths, for the layout tests: the server runs from the distribution's.
fn classic(datadir_move: bool) -> Desired {
    Desired {
        config: format!(
            "{CONFIG}datadir = /var/lib/mysql/data\nsocket = /var/lib/mysql/mysql.sock\n"
        ),
        datadir_move,
        ..desired()
    }
}

fn running_from_the_default(schemas: u64) -> HostFacts {
    let mut facts = converged();
    facts
        .variables
        .insert("datadir".into(), "/var/lib/mysql/".into());
    facts
        .variables
        .insert("socket".into(), "/run/mysqld/mysqld.sock".into());
    facts.replication = Some(crate::facts::ReplicationFacts {
        schemas: (0..schemas)
            .map(|i| crate::facts::SchemaSize {
                name: format!("app{i}"),
                tables: 1,
                bytes: 16384,
            })
            .collect(),
        ..Default::default()
    });
    facts.layout.service_socket = Some(crate::facts::ServiceSocket::Default);
    facts
}

#[test]
fn a_data_directory_without_application_data_moves_before_the_config_is_written() {
    let d = classic(false);
    let plan = plan_host(&d, &running_from_the_default(0), d.flavor.as_ref()).expect("planned");
    assert!(
        matches!(
            &plan.steps[..],
            [
                Step::MoveDatadir { from, to, holds_data: false, redo: false },
                Step::WriteConfig { .. },
                Step::ServiceSocket { socket, was, .. },
                Step::Restart { .. },
            ] if from == "/var/lib/mysql" && to == "/var/lib/mysql/data"
                && socket == "/var/lib/mysql/mysql.sock" && was == "/run/mysqld/mysqld.sock"
        ),
        "{:#?}",
        plan.steps
    );
}

#[test]
fn a_data_directory_holding_data_moves_only_when_the_play_says_so() {
    let facts = running_from_the_default(1);
    let d = classic(false);
    let refusal = plan_host(&d, &facts, d.flavor.as_ref()).expect_err("refused");
    assert!(
        refusal.message.contains("holds application data"),
        "{}",
        refusal.message
    );
    assert!(
        refusal
            .help
            .as_deref()
            .is_some_and(|h| h.contains("datadir_move: true"))
    );
    let d = classic(true);
    let plan = plan_host(&d, &facts, d.flavor.as_ref()).expect("planned");
    assert!(matches!(
        plan.steps[0],
        Step::MoveDatadir {
            holds_data: true,
            ..
        }
    ));
}

#[test]
fn a_move_that_would_set_aside_the_binary_log_mysqld_writes_is_refused() {
    // MySQL writes its binary log in its data directory: a config that keeps it there while the data moves
    // into a folder below would have the live log set aside with the old files.
    let with_log_bin = |log_bin: &str| Desired {
        config: format!(
            "{CONFIG}datadir = /var/lib/mysql/data\nsocket = /var/lib/mysql/mysql.sock\nlog-bin = {log_bin}\n"
        ),
        ..classic(true)
    };
    let facts = running_from_the_default(0);
    let d = with_log_bin("/var/lib/mysql/binlog");
    let refusal = plan_host(&d, &facts, d.flavor.as_ref()).expect_err("refused");
    assert!(
        refusal
            .message
            .contains("would go on writing log_bin /var/lib/mysql/binlog in /var/lib/mysql"),
        "{}",
        refusal.message
    );
    assert!(
        refusal
            .help
            .as_deref()
            .is_some_and(|h| h.contains("`log_bin` in the play at a path outside /var/lib/mysql")),
        "{:?}",
        refusal.help
    );
    // Inside the new directory, a bare name (which follows it), or a folder that only shares the old
    // one's prefix: nothing is left behind.
    for log_bin in [
        "/var/lib/mysql/data/binlog",
        "binlog",
        "/var/lib/mysql-logs/binlog",
    ] {
        let d = with_log_bin(log_bin);
        let plan = plan_host(&d, &facts, d.flavor.as_ref()).expect("planned");
        assert!(
            matches!(plan.steps[0], Step::MoveDatadir { .. }),
            "{log_bin}: {:#?}",
            plan.steps
        );
    }
}

#[test]
fn a_move_is_refused_into_foreign_files_and_a_stopped_server_is_not_started_on_nothing() {
    let mut facts = running_from_the_default(0);
    facts.layout.datadir_target = crate::facts::DatadirState::Foreign;
    let d = classic(true);
    let refusal = plan_host(&d, &facts, d.flavor.as_ref()).expect_err("refused");
    assert!(
        refusal.message.contains("mmprov did not put there"),
        "{}",
        refusal.message
    );

    let mut stopped = running_from_the_default(0);
    stopped.running = false;
    stopped.variables.clear();
    stopped.layout.datadir_target = crate::facts::DatadirState::Missing;
    let refusal = plan_host(&d, &stopped, d.flavor.as_ref()).expect_err("refused");
    assert!(
        refusal.message.contains("not running"),
        "{}",
        refusal.message
    );
    stopped.layout.datadir_target = crate::facts::DatadirState::Moved {
        from: "/var/lib/mysql".into(),
    };
    let plan = plan_host(&d, &stopped, d.flavor.as_ref()).expect("an interrupted move goes on");
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| matches!(s, Step::MoveDatadir { .. }))
    );
}

#[test]
fn a_converged_host_has_nothing_to_do() {
    let plan = plan_for(&converged());
    assert_eq!(plan.steps, vec![]);
}

#[test]
fn a_fresh_host_gets_the_file_and_one_restart_naming_the_static_settings() {
    let mut facts = converged();
    facts.config = None;
    facts.variables.insert("log_bin".into(), "OFF".into());
    facts
        .variables
        .insert("bind_address".into(), "127.0.0.1".into());
    facts.variables.insert("server_id".into(), "0".into());
    let plan = plan_for(&facts);
    assert!(matches!(
        &plan.steps[0],
        Step::WriteConfig { before: None, .. }
    ));
    let Step::Restart { command, reasons } = &plan.steps[1] else {
        panic!("expected a restart: {plan:?}")
    };
    assert_eq!(command, "service mariadb restart");
    assert!(reasons.contains(&RestartReason::StaticChanged {
        variable: "log_bin".into(),
        live: "OFF".into(),
        wanted: "ON".into()
    }));
    assert!(
        !reasons.contains(&RestartReason::Unverifiable {
            variable: "skip_slave_start".into()
        }),
        "skip-slave-start only decides what starts with the server: no restart of its own"
    );
    assert_eq!(
        plan.steps.len(),
        2,
        "SET GLOBAL server_id is folded into the restart"
    );
}

#[test]
fn a_dynamic_change_is_set_live_without_a_restart() {
    let mut facts = converged();
    facts.config = Some(CONFIG.replace("100M", "1G"));
    facts
        .variables
        .insert("max_binlog_size".into(), "1073741824".into());
    let plan = plan_for(&facts);
    assert!(matches!(
        &plan.steps[0],
        Step::WriteConfig {
            before: Some(_),
            ..
        }
    ));
    assert_eq!(
        plan.steps[1].sql().as_deref(),
        Some("SET GLOBAL max_binlog_size = 104857600")
    );
    assert_eq!(plan.steps.len(), 2);
}

#[test]
fn a_config_written_but_never_loaded_still_restarts() {
    // An earlier apply wrote the file and was interrupted before the restart.
    let mut facts = converged();
    facts.variables.insert("log_bin".into(), "OFF".into());
    let plan = plan_for(&facts);
    assert!(
        matches!(&plan.steps[..], [Step::Restart { .. }]),
        "{:?}",
        plan.steps
    );
}

#[test]
fn a_stopped_server_is_started() {
    let mut facts = converged();
    facts.running = false;
    facts.variables.clear();
    let plan = plan_for(&facts);
    assert_eq!(
        plan.steps,
        vec![Step::Restart {
            command: "service mariadb restart".into(),
            reasons: vec![RestartReason::NotRunning]
        }]
    );
}

#[test]
fn a_hand_edit_shows_as_a_config_change() {
    let mut facts = converged();
    facts.config = Some(format!("{CONFIG}# edited by hand\n"));
    let plan = plan_for(&facts);
    assert!(
        matches!(
            &plan.steps[..],
            [Step::WriteConfig {
                before: Some(_),
                ..
            }]
        ),
        "{:?}",
        plan.steps
    );
}

#[test]
fn summary_counts_like_terraform() {
    let mut fresh = converged();
    fresh.config = None;
    fresh.running = false;
    let plan = Plan {
        hosts: vec![plan_for(&fresh), plan_for(&converged())],
        replication: vec![],
        gtid_moves: vec![],
        interleavings: Vec::new(),
        switchovers: Vec::new(),
        rejoins: Vec::new(),
    };
    assert_eq!(
        plan.summary(),
        Summary {
            add: 1,
            change: 0,
            destroy: 0,
            restarts: 1
        }
    );
    assert!(plan.has_changes());
    assert!(
        !Plan {
            hosts: vec![plan_for(&converged())],
            replication: vec![],
            gtid_moves: vec![],
            interleavings: Vec::new(),
            switchovers: Vec::new(),
            rejoins: Vec::new(),
        }
        .has_changes()
    );
}

#[test]
fn same_inputs_give_the_same_plan() {
    let a = serde_json::to_string(&plan_for(&converged())).expect("serializes");
    let b = serde_json::to_string(&plan_for(&converged())).expect("serializes");
    assert_eq!(a, b);
}

/// A host with no server: nothing answers, no binary, an empty /var/lib/mysql, apt.
fn bare() -> HostFacts {
    HostFacts {
        server: None,
        running: false,
        service_name: "mysql".into(),
        config: None,
        variables: BTreeMap::new(),
        layout: crate::facts::Layout {
            datadir_target: crate::facts::DatadirState::Empty,
            service_socket: None,
        },
        os: crate::facts::OsFacts {
            package_manager: Some(crate::packages::PackageManagerKind::Apt),
            codename: Some("bookworm".into()),
            install_unfinished: false,
            physical_tool: None,
        },
        ..converged()
    }
}

fn kinds(plan: &HostPlan) -> Vec<&'static str> {
    plan.steps
        .iter()
        .map(|s| match s {
            Step::InstallServer { .. } => "install",
            Step::Harden => "harden",
            Step::WriteConfig { .. } => "config",
            Step::Restart { .. } => "restart",
            Step::SetGlobal { .. } => "set",
            Step::MoveDatadir { .. } => "move",
            Step::ServiceSocket { .. } => "socket",
        })
        .collect()
}

#[test]
fn a_bare_host_gets_its_server_installed_configured_started_and_cleaned_up() {
    let plan = plan_for(&bare());
    assert_eq!(kinds(&plan), ["install", "config", "restart", "harden"]);
    assert_eq!(plan.server, "MariaDB 10.11, to be installed");
    let Step::InstallServer {
        packages,
        repository,
        sources,
        datadir,
        initialize,
        reason,
        ..
    } = &plan.steps[0]
    else {
        panic!("an install first: {:?}", plan.steps);
    };
    assert_eq!(packages, &["mariadb-server", "mariadb-client"]);
    assert_eq!(repository, &None);
    assert!(sources.is_empty());
    assert_eq!(datadir, PACKAGE_DATADIR);
    assert!(
        initialize.contains("--datadir=/var/lib/mysql"),
        "{initialize}"
    );
    assert_eq!(*reason, InstallReason::NotInstalled);
    let plan = Plan {
        hosts: vec![plan],
        replication: Vec::new(),
        gtid_moves: Vec::new(),
        interleavings: Vec::new(),
        switchovers: Vec::new(),
        rejoins: Vec::new(),
    };
    let s = plan.summary();
    assert_eq!((s.add, s.change, s.restarts), (2, 1, 1));
}

#[test]
fn a_bare_hosts_option_files_before_the_install_do_not_decide_where_the_config_goes() {
    // Debian's MySQL without its server: mysql-common's fallback my.cnf reads only conf.d; the server's
    // package brings mysql.conf.d and the my.cnf that reads it.
    let host = HostFacts {
        option_files: crate::facts::OptionFiles {
            read: vec![
                crate::facts::OptionSource::File {
                    path: "/etc/mysql/my.cnf".into(),
                    sets: Vec::new(),
                },
                crate::facts::OptionSource::Folder {
                    path: "/etc/mysql/conf.d".into(),
                },
            ],
            ..Default::default()
        },
        ..bare()
    };
    let d = Desired {
        config_path: "/etc/mysql/mysql.conf.d/zz-mmprov.cnf".into(),
        ..desired()
    };
    let plan =
        plan_host(&d, &host, d.flavor.as_ref()).expect("checked once installed, not refused now");
    let Step::InstallServer {
        config_path,
        config_options,
        ..
    } = &plan.steps[0]
    else {
        panic!("an install first: {:?}", plan.steps);
    };
    assert_eq!(config_path, "/etc/mysql/mysql.conf.d/zz-mmprov.cnf");
    assert!(
        config_options.iter().any(|o| o == "server_id"),
        "{config_options:?}"
    );
    // The same files on a host whose server is installed: refused before anything changes.
    let installed = HostFacts {
        option_files: host.option_files.clone(),
        ..converged()
    };
    let refused = plan_host(&d, &installed, d.flavor.as_ref()).expect_err("refused");
    assert!(
        refused
            .message
            .contains("the server reads no file at /etc/mysql/mysql.conf.d/zz-mmprov.cnf"),
        "{}",
        refused.message
    );
}

#[test]
fn a_bare_host_is_installed_straight_into_the_configs_data_directory() {
    let d = classic(false);
    let plan = plan_host(&d, &bare(), d.flavor.as_ref()).expect("not refused");
    assert_eq!(kinds(&plan), ["install", "config", "restart", "harden"]);
    let Step::InstallServer { datadir, .. } = &plan.steps[0] else {
        panic!("an install first");
    };
    assert_eq!(datadir, "/var/lib/mysql/data");
}

#[test]
fn a_named_repository_is_added_with_the_hosts_codename_as_its_suite() {
    let d = Desired {
        install: crate::model::Install::Repository(crate::model::PackageRepository {
            name: "mariadb".into(),
            url: "https://dlm.mariadb.com/repo/mariadb-server/10.11/repo/debian".into(),
            suite: None,
            components: Vec::new(),
            key: None,
        }),
        ..desired()
    };
    let plan = plan_host(&d, &bare(), d.flavor.as_ref()).expect("not refused");
    let Step::InstallServer {
        repository,
        sources,
        ..
    } = &plan.steps[0]
    else {
        panic!("an install first");
    };
    assert_eq!(repository.as_deref(), Some("mariadb"));
    assert_eq!(
        sources[0].path,
        "/etc/apt/sources.list.d/mmprov-mariadb.sources"
    );
    assert!(sources[0].content.contains("Suites: bookworm\n"));
    let mut no_codename = bare();
    no_codename.os.codename = None;
    let refused = plan_host(&d, &no_codename, d.flavor.as_ref()).expect_err("refused");
    assert!(refused.message.contains("codename"), "{}", refused.message);
}

#[test]
fn a_bare_host_is_refused_where_installing_could_go_wrong() {
    let never = Desired {
        install: crate::model::Install::Never,
        ..desired()
    };
    let refused = plan_host(&never, &bare(), never.flavor.as_ref()).expect_err("never");
    assert!(
        refused.message.contains("install: never"),
        "{}",
        refused.message
    );

    let mut holds_files = bare();
    holds_files.layout.datadir_target = crate::facts::DatadirState::Foreign;
    let d = desired();
    let refused = plan_host(&d, &holds_files, d.flavor.as_ref()).expect_err("files");
    assert!(
        refused.message.contains("holds files"),
        "{}",
        refused.message
    );

    let mut no_manager = bare();
    no_manager.os.package_manager = None;
    let refused = plan_host(&d, &no_manager, d.flavor.as_ref()).expect_err("no apt");
    assert!(
        refused.message.contains("neither apt-get nor dnf"),
        "{}",
        refused.message
    );
}

#[test]
fn an_install_cut_short_is_finished_and_its_clean_up_is_owed_until_done() {
    // Installed, never started: the install is finished (its step redoes only what is missing).
    let mut stopped = bare();
    stopped.server = Some(ServerVersion::DEBIAN_DEFAULT);
    stopped.os.install_unfinished = true;
    stopped.layout.datadir_target = crate::facts::DatadirState::Foreign;
    let plan = plan_for(&stopped);
    assert_eq!(kinds(&plan), ["install", "config", "restart", "harden"]);
    assert!(matches!(
        plan.steps[0],
        Step::InstallServer {
            reason: InstallReason::Unfinished,
            ..
        }
    ));
    // Serving, clean-up owed: the clean-up alone.
    let mut serving = converged();
    serving.os.install_unfinished = true;
    assert_eq!(kinds(&plan_for(&serving)), ["harden"]);
    // Nothing owed: nothing.
    assert!(plan_for(&converged()).steps.is_empty());
}

mod touched {
    use crate::plan::{
        HeldNode, HostPlan, IncrementChange, Interleave, Interleaving, Plan, ReplStep,
        ReplicationPlan, StartReason, Step,
    };

    fn host(name: &str, steps: Vec<Step>) -> HostPlan {
        HostPlan {
            host: name.into(),
            server: "MariaDB 10.11".into(),
            fingerprint: String::new(),
            steps,
            warnings: Vec::new(),
            log_error: None,
            socket: None,
            rolling: None,
        }
    }

    fn class(offset: u32) -> Interleave {
        Interleave {
            increment: 4,
            offset,
        }
    }

    /// h1 has steps, h2 none; h3's values change live and h4 joins held, waiting on h5.
    fn plan() -> Plan {
        Plan {
            hosts: vec![host("h2", Vec::new()), host("h1", vec![Step::Harden])],
            replication: Vec::new(),
            gtid_moves: Vec::new(),
            switchovers: Vec::new(),
            rejoins: Vec::new(),
            interleavings: vec![Interleaving {
                play: "ring".into(),
                changes: vec![IncrementChange {
                    host: "h3".into(),
                    from: class(1),
                    to: class(3),
                }],
                held: vec![HeldNode {
                    host: "h4".into(),
                    drain: vec!["h5".into()],
                    marked: false,
                    running: true,
                    config_path: String::new(),
                    open_config: String::new(),
                }],
            }],
        }
    }

    #[test]
    fn the_host_phase_touches_hosts_with_steps_and_those_the_interleaving_changes_or_holds() {
        assert_eq!(plan().touched_hosts(), ["h1", "h3", "h4"]);
    }

    #[test]
    fn the_replication_phase_touches_its_nodes_and_the_held_nodes_with_the_peers_they_wait_on() {
        let replication = vec![ReplicationPlan {
            play: "ring".into(),
            steps: vec![ReplStep::Start {
                replica: "h2".into(),
                source: "h1".into(),
                reason: StartReason::Stopped,
            }],
            warnings: Vec::new(),
            decided_after: Vec::new(),
            broken: Vec::new(),
        }];
        assert_eq!(
            plan().replication_hosts(&replication),
            ["h1", "h2", "h4", "h5"]
        );
    }
}
