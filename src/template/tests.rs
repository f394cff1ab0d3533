use super::*;
use crate::flavor::ServerVersion;

fn rendered(under_systemd: bool) -> String {
    let path = std::path::Path::new("tests/fixtures/valid/pair.yml");
    let project = crate::load::load(path, &Default::default()).expect("fixture loads");
    let play = &project.plays[0];
    let host = play.hosts[0].clone();
    let flavor = ServerVersion::DEBIAN_DEFAULT.flavor();
    let context = MyCnfContext::new(&project, play, &host, flavor.as_ref());
    let context = if under_systemd {
        context.under_systemd()
    } else {
        context
    };
    MyCnfTemplate::builtin()
        .and_then(|t| t.render(&context))
        .expect("renders")
}

/// mysqld_safe reads its own group only where a sysv script starts the server; under systemd nothing does,
/// and a group claiming to keep the log out of syslog there would say what does not happen.
#[test]
fn the_mysqld_safe_group_is_written_only_where_mysqld_safe_may_start_the_server() {
    let sysv = rendered(false);
    assert!(sysv.contains("[mysqld_safe]\nskip-syslog\n"), "{sysv}");
    let systemd = rendered(true);
    assert!(!systemd.contains("mysqld_safe"), "{systemd}");
    assert!(
        systemd.ends_with("[client]\nsocket                         = /run/mysqld/mysqld.sock\n"),
        "{systemd}"
    );
}
