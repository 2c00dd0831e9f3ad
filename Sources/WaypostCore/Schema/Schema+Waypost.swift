extension Schema {
    /// The schema every Waypost node uses: case files, and service directory entries after the Open
    /// Referral Human Services Data Specification (HSDS 3.0: https://docs.openreferral.org).
    public static let waypost = Schema(collections: [
        .caseFile: CollectionSchema(
            collection: .caseFile,
            fields: [
                .register("status", .choice(["open", "closed", "transferred"]), "open, closed or transferred"),
                .register("given_name", .text(maxLength: 200), "given name(s)"),
                .register("family_name", .text(maxLength: 200), "family name(s)"),
                .register("date_of_birth", .date, "date of birth, YYYY-MM-DD"),
                .register("dob_estimated", .boolean, "whether the date of birth is an estimate"),
                .register("sex", .choice(["female", "male", "other", "unknown"]), "female, male, other or unknown"),
                .register("nationality", .code, "nationality, as an ISO 3166 code"),
                .set("languages", .code, "languages spoken, as language tags"),
                .set("identifiers", .identifier, "documents and registrations, scheme:value"),
                .set("protection_needs", .code, "protection need codes"),
                .register("risk_level", .choice(["low", "medium", "high", "critical"]), "low, medium, high or critical"),
                .register("owner", .text(maxLength: 200), "the post or agency responsible"),
                .set("assigned", .text(maxLength: 200), "case workers assigned"),
                .register("location", .text(maxLength: 500), "where the person is now"),
                .entries(
                    "household", "household members",
                    members: [
                        .register("relationship", .code, "relationship to the person"),
                        .register("given_name", .text(maxLength: 200), "given name(s)"),
                        .register("family_name", .text(maxLength: 200), "family name(s)"),
                        .register("date_of_birth", .date, "date of birth"),
                        .register("sex", .choice(["female", "male", "other", "unknown"]), "sex"),
                    ]),
                .entries(
                    "referrals", "referrals to services",
                    members: [
                        .register("service", .reference(.service), "the service referred to"),
                        .register("status", .choice(["requested", "accepted", "rejected", "done"]), "referral status"),
                        .register("note", .text(maxLength: 2000), "a note on the referral"),
                    ]),
                .log("notes", "case notes"),
                .log(
                    "consent", "consent records",
                    members: [
                        .register("purpose", .text(maxLength: 500), "what the consent is for"),
                        .register("given", .boolean, "whether consent was given"),
                        .register("recorded_by", .text(maxLength: 200), "who recorded it"),
                    ]),
            ],
            defaults: ["status": "open"]),
        .service: CollectionSchema(
            collection: .service,
            fields: [
                .register("name", .text(maxLength: 300), "the service's name"),
                .register("organization", .text(maxLength: 300), "the organisation that runs it"),
                .set("category", .code, "categories, e.g. shelter, clinic, legal_aid, interpreter"),
                .register("status", .choice(["active", "inactive", "temporarily_closed"]), "active, inactive or temporarily_closed"),
                .register("description", .text, "what it offers"),
                .register("address", .text(maxLength: 500), "street address"),
                .register("latitude", .decimal(-90...90), "latitude, decimal degrees"),
                .register("longitude", .decimal(-180...180), "longitude, decimal degrees"),
                .register("hours", .text(maxLength: 500), "opening hours"),
                .set("languages", .code, "languages served"),
                .register("eligibility", .text, "who may use it"),
                .set("phones", .phone, "telephone numbers"),
                .register("capacity_total", .integer(0...1_000_000), "total places"),
                .counter("occupied", "places in use (increments and decrements add up)"),
                .register("referral_contact", .text(maxLength: 500), "contact for referrals, not for public display",
                          isPublic: false),
            ],
            defaults: ["status": "active"]),
    ])
}
