#if canImport(Glibc)
import Glibc
#endif
import NNModelCLI

exit(NNModelCommand.runMain(Array(CommandLine.arguments.dropFirst())))
