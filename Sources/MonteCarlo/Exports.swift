// Configs and part files are JSON read with StrictJSON; re-exported so that every module over
// MonteCarlo sees JSONValue, JSONObject and JSONSyntaxError without importing it.
@_exported import StrictJSON
