//! Where AWS credentials come from. Alone in its binary: it changes environment variables, which no
//! other test may read meanwhile.

use cloud_aws::Credentials;
use cloud_core::ErrorKind;

#[test]
fn credentials_come_from_the_environment_then_the_profile_files_else_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let credentials_file = dir.path().join("credentials");
    let config_file = dir.path().join("config");
    // SAFETY of the test: this binary runs this one test, so nothing reads the environment meanwhile.
    for name in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ] {
        std::env::remove_var(name);
    }
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &credentials_file);
    std::env::set_var("AWS_CONFIG_FILE", &config_file);

    let err = Credentials::from_env().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    let message = err.to_string();
    assert!(
        message.contains("AWS_ACCESS_KEY_ID")
            && message.contains(&credentials_file.display().to_string()),
        "{message}"
    );

    std::fs::write(
        &config_file,
        "[profile dev]\naws_access_key_id = AKIDFROMCONFIG\naws_secret_access_key = s1\n",
    )
    .unwrap();
    std::fs::write(
        &credentials_file,
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s0\n",
    )
    .unwrap();
    assert_eq!(
        Credentials::from_env().unwrap().access_key_id(),
        "AKIDDEFAULT"
    );
    std::env::set_var("AWS_PROFILE", "dev");
    assert_eq!(
        Credentials::from_env().unwrap().access_key_id(),
        "AKIDFROMCONFIG"
    );

    std::env::set_var("AWS_ACCESS_KEY_ID", "AKIDFROMENV");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "s2");
    std::env::set_var("AWS_SESSION_TOKEN", "token-from-env");
    let from_env = Credentials::from_env().unwrap();
    assert_eq!(
        from_env.access_key_id(),
        "AKIDFROMENV",
        "the environment comes first"
    );
    assert_eq!(
        from_env.session_token().map(|t| t.expose()),
        Some("token-from-env")
    );
}
