from ss3_schema.cli.main import main

main()
