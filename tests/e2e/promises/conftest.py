def pytest_configure(config):
    config.addinivalue_line("markers", "officers(*ids): OFFICER_ZALO_IDS for the test")
    config.addinivalue_line("markers", "production: APP_ENV=production for the test")
    config.addinivalue_line("markers", "profile(path): WARD_PROFILE_FILE for the test")
