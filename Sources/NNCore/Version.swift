public enum NNCoreVersion { public static let string = "0.1.0" }
