"""The Zalo Official Account: the API client, the messages it sends."""
