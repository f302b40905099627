//! Test plugin: a valid component of a world that is not cxhost's (it exports `describe`
//! with another shape, and no entry point of any cxhost kind); the host must refuse it as
//! the wrong world.

wit_bindgen::generate!({
    inline: r#"
        package test:other;

        world other {
            export describe: func() -> string;
            export run: func(input: list<string>) -> u32;
        }
    "#,
});

struct WrongWorld;

impl Guest for WrongWorld {
    fn describe() -> String {
        "wrong_world: not a cxhost plugin".to_string()
    }

    fn run(input: Vec<String>) -> u32 {
        input.len() as u32
    }
}

export!(WrongWorld);
