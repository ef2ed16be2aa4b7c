from migrate.cli import entry

if __name__ == "__main__":
    entry()
