"""`python app.py` serves the UI with the settings from the environment (QA_BOT_*)."""

from qa_bot.cli import main

if __name__ == "__main__":
    import sys

    sys.argv = [sys.argv[0], "serve", *sys.argv[1:]]
    main()
