//! Accounts, tokens, sessions and the audit trail over the SQLite store: every change leaves a trail
//! entry in the same transaction, and a trail edited in the file is caught at the entry.

use jiff::{SignedDuration, Timestamp};
use vigil_store::prelude::*;
use vigil_store::{
    AlertAction, AlertChange, AlertSubject, LockoutPolicy, NewAlert, NewSession, NewToken, NewUser,
    Role, SqliteStore, StoreError, TrailDraft,
};

fn t(s: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + s).unwrap()
}

fn user(name: &str, role: Role) -> NewUser {
    NewUser {
        name: name.into(),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
    }
}

fn draft(action: &str, subject: &str) -> TrailDraft {
    TrailDraft::new("cli:admin", action, subject, "")
}

#[test]
fn users_tokens_and_sessions_leave_a_verified_trail() {
    let mut s = SqliteStore::open_in_memory().unwrap();
    s.add_user(
        &user("dana", Role::Responder),
        &draft("user.add", "user:dana"),
        t(0),
    )
    .unwrap();
    assert!(matches!(
        s.add_user(
            &user("dana", Role::Admin),
            &draft("user.add", "user:dana"),
            t(1)
        ),
        Err(StoreError::UserExists { .. })
    ));
    let policy = LockoutPolicy {
        base_delay: SignedDuration::ZERO,
        ..LockoutPolicy::default()
    };
    let mut last = None;
    for i in 0..10 {
        last = Some(
            s.record_failed_login(
                "dana",
                &policy,
                &draft("login.failed", "user:dana"),
                t(2 + i),
            )
            .unwrap(),
        );
    }
    let last = last.unwrap();
    assert!(last.locked && last.failures == 10 && last.locked_until.is_some());
    s.unlock_user("dana", &draft("user.unlock", "user:dana"), t(20))
        .unwrap();
    assert_eq!(s.user("dana").unwrap().unwrap().failed_logins, 0);

    let session = NewSession {
        id_hash: "abc".into(),
        csrf: "csrf".into(),
    };
    s.record_login("dana", &session, &draft("login", "user:dana"), t(21))
        .unwrap();
    let rec = s.session("abc").unwrap().unwrap();
    assert_eq!((rec.user.as_str(), rec.role), ("dana", Role::Responder));
    s.set_user_disabled("dana", true, &draft("user.disable", "user:dana"), t(22))
        .unwrap();
    assert!(
        s.session("abc").unwrap().is_none(),
        "disabling ends sessions"
    );

    let id = s
        .add_token(
            &NewToken {
                name: "ci".into(),
                role: Role::Viewer,
                hash: "h1".into(),
                expires_at: Some(t(100)),
            },
            &draft("token.create", ""),
            t(23),
        )
        .unwrap();
    assert!(
        s.token_by_hash("h1", t(24))
            .unwrap()
            .unwrap()
            .is_valid(t(24))
    );
    assert!(
        !s.token_by_hash("h1", t(101))
            .unwrap()
            .unwrap()
            .is_valid(t(101))
    );
    assert!(
        s.revoke_token(id, &draft("token.revoke", "token:1"), t(25))
            .unwrap()
    );
    assert!(
        !s.revoke_token(id, &draft("token.revoke", "token:1"), t(26))
            .unwrap()
    );
    assert!(
        !s.token_by_hash("h1", t(27))
            .unwrap()
            .unwrap()
            .is_valid(t(27))
    );

    let v = s.verify_trail().unwrap();
    assert_eq!(v.broken, None);
    // add, 10 failures, unlock, login, disable, token create, revoke
    assert_eq!(v.entries, 16);
    let trail = s.trail(0, 100).unwrap();
    assert_eq!(trail[0].action, "user.add");
    assert_eq!(trail[14].subject, format!("token:{id}"));
}

#[test]
fn an_acknowledgement_and_its_trail_entry_commit_together() {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let raised = s
        .raise_alert(
            &NewAlert {
                dedup_key: "incident:1".into(),
                subject: AlertSubject::Incident,
                reference: "1".into(),
                severity: vigil_model::Level::High,
                title: "x".into(),
                asset: None,
                evidence: vec![],
            },
            t(0),
            None,
        )
        .unwrap();
    let id = raised.alert().id;
    let change = AlertChange {
        action: AlertAction::Acknowledge,
        by: "dana".into(),
        at: t(1),
        note: Some("on it".into()),
        token_nonce: None,
    };
    s.change_alert_recorded(id, &change, "dana").unwrap();
    // Refused twice: no trail entry for the refusal.
    assert!(s.change_alert_recorded(id, &change, "dana").is_err());
    let trail = s.trail(0, 10).unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].action, "alert.acknowledge");
    assert_eq!(trail[0].subject, format!("alert:{id}"));
    assert_eq!(trail[0].detail, "on it");
}

#[test]
fn a_trail_edited_in_the_file_is_caught_at_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vigil.db");
    {
        let mut s = SqliteStore::open(&path).unwrap();
        for i in 0..4 {
            s.append_trail(&draft("login", &format!("user:u{i}")), t(i))
                .unwrap();
        }
        // vigil itself cannot rewrite it.
        let raw = rusqlite::Connection::open(&path).unwrap();
        assert!(
            raw.execute("UPDATE trail SET detail = 'x' WHERE seq = 2", [])
                .is_err()
        );
        assert!(raw.execute("DELETE FROM trail WHERE seq = 4", []).is_err());
    }
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "DROP TRIGGER trail_no_update; DROP TRIGGER trail_no_delete;
         UPDATE trail SET actor = 'nobody' WHERE seq = 2;",
    )
    .unwrap();
    let s = SqliteStore::open(&path).unwrap();
    let b = s.verify_trail().unwrap().broken.unwrap();
    assert_eq!(b.seq, 2);
    assert!(b.reason.contains("edited"), "{}", b.reason);
    raw.execute_batch(
        "UPDATE trail SET actor = 'cli:admin' WHERE seq = 2; DELETE FROM trail WHERE seq = 4;",
    )
    .unwrap();
    let b = s.verify_trail().unwrap().broken.unwrap();
    assert_eq!(b.seq, 4, "{}", b.reason);
}

/// An incident record is saved whole, found again without regard to case, and each save that changes
/// something appends one trail entry naming the fields changed and not their values; saving the same
/// record again records nothing; the trail still verifies.
#[test]
fn an_incident_record_is_saved_with_a_trail_entry_naming_the_fields_changed() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    assert_eq!(store.incident_record("INC-1").unwrap(), None);
    let first = serde_json::json!({"organisation": "Harbour Clinic", "dpo_contact": null});
    let changed = store
        .save_incident_record_recorded("INC-1", &first, "rita", t(10))
        .unwrap();
    assert_eq!(changed, ["organisation"]);
    let second =
        serde_json::json!({"organisation": "Harbour Clinic", "dpo_contact": "Dr Dee, 0123"});
    let changed = store
        .save_incident_record_recorded("inc-1", &second, "ada", t(20))
        .unwrap();
    assert_eq!(changed, ["dpo_contact"]);
    let got = store.incident_record("Inc-1").unwrap().unwrap();
    assert_eq!(
        (
            got.incident.as_str(),
            &got.record,
            got.saved_by.as_str(),
            got.saved_at
        ),
        ("INC-1", &second, "ada", t(20))
    );
    // Unchanged: nothing written, nothing recorded.
    assert!(
        store
            .save_incident_record_recorded("INC-1", &second, "vera", t(30))
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.incident_record("INC-1").unwrap().unwrap().saved_by,
        "ada"
    );
    let entries = store.trail_latest(10).unwrap();
    assert_eq!(entries.len(), 2);
    let e = &entries[0];
    assert_eq!(
        (
            e.actor.as_str(),
            e.action.as_str(),
            e.subject.as_str(),
            e.detail.as_str()
        ),
        (
            "ada",
            "incident.record",
            "incident:inc-1",
            "changed: dpo_contact"
        )
    );
    assert!(!e.detail.contains("0123"), "values stay out of the trail");
    assert_eq!(store.verify_trail().unwrap().broken, None);
    // Refused: not an object, too large, no id.
    for (id, bad) in [
        ("INC-1", serde_json::json!(["x"])),
        ("INC-1", serde_json::json!({"title": "x".repeat(300_000)})),
        (" ", serde_json::json!({})),
    ] {
        let err = store
            .save_incident_record_recorded(id, &bad, "ada", t(40))
            .unwrap_err();
        assert!(
            matches!(err, vigil_store::StoreError::InvalidValue { .. }),
            "{err}"
        );
    }
    assert_eq!(store.trail_latest(10).unwrap().len(), 2);
}

/// An exception made in the console is kept with who made it and when, listed per asset, and
/// recorded in the trail with its asset, advisory, expiry and reason; an empty reason is refused
/// and records nothing.
#[test]
fn an_exception_is_kept_with_its_trail_entry() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    let expires: jiff::civil::Date = "2026-12-31".parse().unwrap();
    let e = vigil_store::NewException {
        asset: "MAIL01".into(),
        advisory: "KB5001779".into(),
        package: Some("Exchange Server 2016".into()),
        reason: "replaced by the 2019 server next month".into(),
        expires,
    };
    let id = store.add_exception_recorded(&e, t(5), "rita").unwrap();
    let blank = vigil_store::NewException {
        reason: "  ".into(),
        ..e.clone()
    };
    assert!(matches!(
        store.add_exception_recorded(&blank, t(6), "rita"),
        Err(StoreError::InvalidValue { .. })
    ));
    assert!(store.exceptions(Some("FILE01")).unwrap().is_empty());
    let all = store.exceptions(None).unwrap();
    assert_eq!(all.len(), 1);
    let x = &all[0];
    assert_eq!(
        (
            x.id,
            x.advisory.as_str(),
            x.expires,
            x.created_by.as_str(),
            x.created_at
        ),
        (id, "KB5001779", expires, "rita", t(5))
    );
    let entries = store.trail_latest(5).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0].action.as_str(),
            entries[0].subject.clone(),
            entries[0].detail.as_str()
        ),
        (
            "finding.ignore",
            format!("exception:{id}"),
            "MAIL01: KB5001779 in Exchange Server 2016, until 2026-12-31: replaced by the 2019 server next month"
        )
    );
    assert_eq!(store.verify_trail().unwrap().broken, None);
}

/// An invited user has no password that verifies until they accept the invitation; it works once,
/// not after its expiry nor for a disabled user, and each step is in the trail.
#[test]
fn an_invitation_is_accepted_once_before_it_expires() {
    let mut s = SqliteStore::open_in_memory().unwrap();
    let expires = t(3600);
    s.add_invited_user(
        &user("erin", Role::Viewer),
        "hash-1",
        expires,
        &draft("user.invite", "user:erin"),
        t(0),
    )
    .unwrap();
    assert_eq!(
        s.user("erin").unwrap().unwrap().password_hash,
        vigil_store::INVITED
    );
    assert_eq!(
        s.invite("hash-1", t(10)).unwrap(),
        Some(("erin".into(), expires))
    );
    assert_eq!(s.invite("hash-2", t(10)).unwrap(), None);
    assert_eq!(s.invite("hash-1", t(3600)).unwrap(), None, "expired");
    assert_eq!(
        s.accept_invite("hash-1", "$argon2id$chosen", t(3601))
            .unwrap(),
        None,
        "too late"
    );
    assert_eq!(
        s.accept_invite("hash-1", "$argon2id$chosen", t(20))
            .unwrap(),
        Some("erin".into())
    );
    assert_eq!(
        s.user("erin").unwrap().unwrap().password_hash,
        "$argon2id$chosen"
    );
    assert_eq!(
        s.accept_invite("hash-1", "$argon2id$again", t(30)).unwrap(),
        None,
        "used up"
    );
    // A disabled user's invitation does not work.
    s.add_invited_user(
        &user("fay", Role::Viewer),
        "hash-3",
        expires,
        &draft("user.invite", "user:fay"),
        t(40),
    )
    .unwrap();
    s.set_user_disabled("fay", true, &draft("user.disable", "user:fay"), t(50))
        .unwrap();
    assert_eq!(
        s.accept_invite("hash-3", "$argon2id$x", t(60)).unwrap(),
        None
    );
    let actions: Vec<String> = s
        .trail_latest(10)
        .unwrap()
        .into_iter()
        .map(|e| format!("{} {}", e.actor, e.action))
        .collect();
    assert!(
        actions.contains(&"erin user.invite.accept".to_string()),
        "{actions:?}"
    );
    assert!(s.verify_trail().unwrap().broken.is_none());
}

#[test]
fn a_password_change_ends_every_other_session_with_its_trail_entry() {
    let mut s = SqliteStore::open_in_memory().unwrap();
    s.add_user(
        &user("gil", Role::Viewer),
        &draft("user.add", "user:gil"),
        t(1),
    )
    .unwrap();
    for id in ["one", "two", "three"] {
        let session = NewSession {
            id_hash: id.into(),
            csrf: "csrf".into(),
        };
        s.record_login("gil", &session, &draft("login", "user:gil"), t(2))
            .unwrap();
    }
    s.set_password(
        "gil",
        "$argon2id$new",
        Some("two"),
        &draft("user.password", "user:gil"),
        t(3),
    )
    .unwrap();
    assert_eq!(
        s.user("gil").unwrap().unwrap().password_hash,
        "$argon2id$new"
    );
    assert!(
        s.session("two").unwrap().is_some(),
        "the changing session stays"
    );
    assert!(s.session("one").unwrap().is_none() && s.session("three").unwrap().is_none());
    let err = s.set_password(
        "nobody",
        "$argon2id$x",
        None,
        &draft("user.password", "user:nobody"),
        t(4),
    );
    assert!(err.is_err());
    s.set_password(
        "gil",
        "$argon2id$again",
        None,
        &draft("user.password", "user:gil"),
        t(5),
    )
    .unwrap();
    assert!(s.session("two").unwrap().is_none(), "None ends them all");
    let entries = s.trail(0, 100).unwrap();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.action == "user.password")
            .count(),
        2
    );
    assert!(s.verify_trail().unwrap().broken.is_none());
}
