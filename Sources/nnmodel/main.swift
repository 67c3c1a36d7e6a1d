import NNModelCLI

NNModelCommand.main()
