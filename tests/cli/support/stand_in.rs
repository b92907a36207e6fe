//! A Test Engine stand-in: a real HTTP server on 127.0.0.1, scripted per
//! test, recording every request. It follows the API contract of behaviour
//! document 4.3 where a test needs it to (`StandIn::test_engine`).

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

/// A request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// The body as text (lossy where it is not UTF-8).
    pub body: String,
    /// The body's bytes.
    pub raw: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }
}

/// What the stand-in answers.
pub enum Reply {
    /// A status and a body, with extra headers.
    Body(u16, String, Vec<(String, String)>),
    /// Never answer (until the stand-in is dropped).
    Hang,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::Body(status, body.to_string(), Vec::new())
    }

    pub fn message(status: u16, message: &str) -> Reply {
        Reply::json(status, json!({ "message": message }))
    }
}

type Script = Box<dyn FnMut(&Recorded) -> Reply + Send>;

/// A running stand-in; it stops when dropped.
pub struct StandIn {
    pub url: String,
    server: Arc<tiny_http::Server>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    worker: Option<thread::JoinHandle<()>>,
}

impl StandIn {
    /// Starts a stand-in that answers each request with `script`.
    pub fn start(script: impl FnMut(&Recorded) -> Reply + Send + 'static) -> StandIn {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind the stand-in"));
        let url = format!(
            "http://{}",
            server.server_addr().to_ip().expect("an IP address")
        );
        let requests = Arc::new(Mutex::new(Vec::new()));
        let worker = {
            let server = Arc::clone(&server);
            let requests = Arc::clone(&requests);
            let mut script: Script = Box::new(script);
            thread::spawn(move || {
                for mut request in server.incoming_requests() {
                    let mut raw = Vec::new();
                    let _ = request.as_reader().read_to_end(&mut raw);
                    let body = String::from_utf8_lossy(&raw).into_owned();
                    let recorded = Recorded {
                        method: request.method().to_string(),
                        url: request.url().to_string(),
                        headers: request
                            .headers()
                            .iter()
                            .map(|h| {
                                (
                                    h.field.as_str().as_str().to_ascii_lowercase(),
                                    h.value.as_str().to_string(),
                                )
                            })
                            .collect(),
                        body,
                        raw,
                    };
                    requests.lock().expect("lock").push(recorded.clone());
                    match script(&recorded) {
                        Reply::Body(status, body, headers) => {
                            let mut response =
                                tiny_http::Response::from_string(body).with_status_code(status);
                            for (k, v) in headers {
                                response.add_header(
                                    tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes())
                                        .expect("valid header"),
                                );
                            }
                            let _ = request.respond(response);
                        }
                        Reply::Hang => {
                            thread::spawn(move || {
                                thread::sleep(Duration::from_secs(30));
                                drop(request);
                            });
                        }
                    }
                }
            })
        };
        StandIn {
            url,
            server,
            requests,
            worker: Some(worker),
        }
    }

    /// A stand-in that behaves like Test Engine for one suite: the cached
    /// plan is 404 until a plan with that identifier is created, which deals
    /// the selectors round-robin (sorted) over the requested parallelism and
    /// is then served to every node.
    pub fn test_engine() -> StandIn {
        let mut plans: BTreeMap<String, Value> = BTreeMap::new();
        StandIn::start(move |req| {
            let path = req.url.split('?').next().unwrap_or_default().to_string();
            if req.method == "GET" && path.ends_with("/test_plan") {
                let identifier = query_value(&req.url, "identifier").unwrap_or_default();
                return match plans.get(&identifier) {
                    Some(plan) => Reply::json(200, plan.clone()),
                    None => Reply::message(404, "Test plan not found"),
                };
            }
            if req.method == "POST" && path.ends_with("/test_plan") {
                let body = req.json();
                let identifier = body["identifier"].as_str().unwrap_or_default().to_string();
                let plan = plans.entry(identifier.clone()).or_insert_with(|| {
                    let parallelism = body["parallelism"].as_u64().unwrap_or(1);
                    let mut selectors: Vec<String> = body["tests"]["selectors"]
                        .as_array()
                        .map(|a| a.iter().map(|s| s["value"].as_str().unwrap_or_default().to_string()).collect())
                        .unwrap_or_default();
                    selectors.sort();
                    let mut tasks = serde_json::Map::new();
                    for node in 0..parallelism {
                        let tests: Vec<Value> = selectors
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| *i as u64 % parallelism == node)
                            .map(|(_, s)| json!({"format": "selector", "value": s, "estimated_duration": 1000, "timing_sample_size": 1}))
                            .collect();
                        tasks.insert(node.to_string(), json!({"node_number": node, "tests": tests}));
                    }
                    json!({
                        "identifier": identifier,
                        "parallelism": parallelism,
                        "tasks": tasks,
                        "timing_metadata": {"selector": {"median_duration": 1000.0, "default_duration": 1000}},
                    })
                });
                return Reply::json(200, plan.clone());
            }
            if req.method == "POST" && path.ends_with("/test_plan/filter_tests") {
                return Reply::json(200, json!({ "tests": [] }));
            }
            if req.method == "POST" && path.ends_with("/test_plan_metadata") {
                return Reply::json(200, json!({}));
            }
            Reply::message(404, "Not Found")
        })
    }

    /// A stand-in for `bktec tools backfill-commit-metadata` (the Go
    /// client's API shapes): the suite's commit list (one SHA a line), the
    /// suite's ids, a presigned upload whose form posts to this stand-in's
    /// `/storage`, and that storage, which answers each upload with the
    /// next status of `storage` (the last one repeated; 0 never answers).
    pub fn backfill(commits: Vec<String>, storage: Vec<u16>) -> StandIn {
        let own_url = Arc::new(std::sync::OnceLock::<String>::new());
        let url = Arc::clone(&own_url);
        let mut uploads = 0;
        let stand_in = StandIn::start(move |req| {
            let path = req.url.split('?').next().unwrap_or_default().to_string();
            let base = url.get().cloned().unwrap_or_default();
            match (req.method.as_str(), path.as_str()) {
                ("GET", p) if p.ends_with("/commits") => {
                    Reply::Body(200, commits.join("\n") + "\n", Vec::new())
                }
                ("GET", p) if p.ends_with("/suites/suite") => Reply::json(
                    200,
                    json!({"id": "suite-uuid", "organization_id": "org-uuid", "slug": "suite"}),
                ),
                ("POST", p) if p.ends_with("/commit-metadata-backfill/presigned-upload") => {
                    Reply::json(
                        200,
                        json!({
                            "uri": "s3://backfill-bucket/acme/suite/upload.tar.gz",
                            "form": {
                                "method": "POST",
                                "url": format!("{base}/storage"),
                                "data": {"key": "acme/suite/upload.tar.gz", "policy": "p0l1cy"},
                                "file_input": "file",
                            },
                            "organization_id": "org-uuid",
                            "suite_id": "suite-uuid",
                        }),
                    )
                }
                ("POST", "/storage") => {
                    let status = storage
                        .get(uploads)
                        .or(storage.last())
                        .copied()
                        .unwrap_or(204);
                    uploads += 1;
                    if status == 0 {
                        return Reply::Hang;
                    }
                    Reply::Body(
                        status,
                        format!("<Error>status {status}</Error>"),
                        Vec::new(),
                    )
                }
                _ => Reply::message(404, "Not Found"),
            }
        });
        own_url.set(stand_in.url.clone()).expect("set once");
        stand_in
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }

    /// The requests whose path (without the query) ends with `suffix`.
    pub fn requests_to(&self, suffix: &str) -> Vec<Recorded> {
        self.requests()
            .into_iter()
            .filter(|r| {
                r.url
                    .split('?')
                    .next()
                    .unwrap_or_default()
                    .ends_with(suffix)
            })
            .collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The decoded value of `key` in the query of `url`.
pub fn query_value(url: &str, key: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| percent_decode_str(v).decode_utf8_lossy().into_owned())
    })
}

/// An address on 127.0.0.1 where nothing listens.
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{addr}")
}
