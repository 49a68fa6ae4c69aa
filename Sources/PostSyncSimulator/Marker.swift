public enum SimulatorMarker {}
