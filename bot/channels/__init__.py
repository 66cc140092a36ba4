"""Channel adapters: the only modules that talk to Telegram, WeChat or the terminal."""
