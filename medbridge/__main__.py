from medbridge.cli.main import app

app()
