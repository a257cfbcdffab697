from ss3_schema.cli import main

main()
